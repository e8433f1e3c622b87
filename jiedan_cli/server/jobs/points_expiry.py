"""Expire the points earned more than JIEDAN_SERVER_POINTS_EXPIRY_MONTHS ago and not spent
(services/points_expiry.py): one transaction a user; idempotent by entry id."""

from __future__ import annotations

from datetime import datetime

from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.services.points_expiry import (
    EXPIRY_BATCH,
    expire_points,
    users_with_old_points,
)


def run(db: Database, settings: Settings, now: datetime) -> int:
    months = settings.points_expiry_months
    if months <= 0:
        return 0
    expired, after = 0, ""
    while True:
        with db.read() as conn:
            users = users_with_old_points(conn, months, now, after)
        for user_id in users:
            with db.write() as conn:
                expired += expire_points(conn, user_id, months=months, now=now)
        if len(users) < EXPIRY_BATCH:
            return expired
        after = users[-1]
