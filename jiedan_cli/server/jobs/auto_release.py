"""Auto-release (money.md): a submitted milestone the client leaves unanswered for
`auto_release_days` is released to the freelancer, so freelancers are not held hostage."""

from __future__ import annotations

from datetime import datetime

from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database


def run(db: Database, settings: Settings, now: datetime) -> int:
    from jiedan_cli.server.services.escrow import auto_release_due

    return auto_release_due(db, settings, now)
