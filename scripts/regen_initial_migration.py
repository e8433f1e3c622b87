"""Regenerate migration 0001 from server/db/tables.py. Only before the first release: once a
database exists in production, schema changes are new migrations, never edits of 0001 —
which is the case since 0002 (job_runs): this script now refuses to run."""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from jiedan_cli.server.db.engine import Database
from jiedan_cli.server.db.migrate import MIGRATIONS, alembic_config

if len(list((MIGRATIONS / "versions").glob("0*.py"))) > 1:
    raise SystemExit("0001 is frozen: later migrations exist; write a new one instead")
target = MIGRATIONS / "versions" / "0001_initial.py"
target.unlink(missing_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    db = Database(f"sqlite:///{Path(tmp) / 'empty.db'}")
    config = alembic_config(db)
    command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
    made = next((MIGRATIONS / "versions").glob("0001_*.py"))
    made.rename(target)
print(f"wrote {target}")
