"""Apply the Alembic migrations programmatically (no alembic.ini to find at run time).

Several processes may start at once on one empty database (`jiedan server run` on N hosts,
or N workers): on PostgreSQL the whole upgrade and the epoch row run in one transaction that
first takes an advisory lock, so the first process migrates and the others, once it commits,
find the schema at head and the epoch there. SQLite serialises writers by itself."""

from __future__ import annotations

import functools
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, select, text

from jiedan_cli.server.db.conflicts import insert_for
from jiedan_cli.server.db.tables import server_meta

if TYPE_CHECKING:
    from jiedan_cli.server.db.engine import Database

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x6A69656D  # "jiem"; the change log's lock is another key


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", db.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(db: Database) -> None:
    """Bring the schema to head and make sure this database has its epoch, in one
    transaction (under the migration lock on PostgreSQL)."""
    config = alembic_config(db)
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        _ensure_epoch(conn)


def _ensure_epoch(conn: Connection) -> None:
    conn.execute(
        insert_for(conn, server_meta)
        .values(key="epoch", value=uuid.uuid4().hex[:12])
        .on_conflict_do_nothing(index_elements=[server_meta.c.key])
    )


@functools.cache
def head_revision() -> str | None:
    """The newest revision this package ships (read from the scripts once: ≈5 ms a time,
    and /readyz asks on every probe)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(conn: Connection) -> str | None:
    """The revision this database is at (None before the first migration)."""
    return MigrationContext.configure(conn).get_current_revision()


def at_head(conn: Connection) -> bool:
    """True when the schema is migrated to the newest revision and the epoch is there."""
    if current_revision(conn) != head_revision():
        return False
    return conn.scalar(select(server_meta.c.value).where(server_meta.c.key == "epoch")) is not None
