"""Reveal blind reviews whose `review_blind_days` have passed (count them in ratings)."""

from __future__ import annotations

from datetime import datetime

from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.services.reviews import reveal_due_reviews


def run(db: Database, settings: Settings, now: datetime) -> int:
    with db.write() as conn:
        return reveal_due_reviews(conn, now=now, blind_days=settings.review_blind_days)
