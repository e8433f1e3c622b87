"""Delete sign-in attempts and Idempotency-Key records nothing reads any more."""

from __future__ import annotations

from datetime import datetime

from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.services.housekeeping import purge_expired


def run(db: Database, settings: Settings, now: datetime) -> int:
    with db.write() as conn:
        return purge_expired(conn, now=now)
