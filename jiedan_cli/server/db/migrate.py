"""Apply the Alembic migrations programmatically (no alembic.ini to find at run time)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select

from jiedan_cli.server.db.tables import server_meta

if TYPE_CHECKING:
    from jiedan_cli.server.db.engine import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", db.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(db: Database) -> None:
    """Bring the schema to head, then make sure this database has its epoch."""
    config = alembic_config(db)
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with db.write() as conn:
        if conn.scalar(select(server_meta.c.value).where(server_meta.c.key == "epoch")) is None:
            conn.execute(insert(server_meta).values(key="epoch", value=uuid.uuid4().hex[:12]))
