"""The sandbox provider's notifications for intents still pending — normally delivered
right after the fund commits; this catches any left behind by a crash in between."""

from __future__ import annotations

from datetime import datetime

from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database


def run(db: Database, settings: Settings, now: datetime) -> int:
    from jiedan_cli.server.services.funding import deliver_pending_notifications

    return deliver_pending_notifications(db, settings, now)
