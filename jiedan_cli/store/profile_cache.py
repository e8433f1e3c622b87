"""Other users' public profiles (name, rating, skills), fetched when a screen needs them and
kept here: the change log sends each profile to its owner only, so a client's rating on an
order or a bidder's name would otherwise never reach the replica. Offline, the last fetched
copy is shown; a copy older than MAX_AGE is fetched again when online."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.store.transaction import transaction

MAX_AGE = timedelta(days=1)


def remember(conn: sqlite3.Connection, profile: dict[str, Any], *, now: datetime) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO profile_cache (id, data, fetched_at) VALUES (?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET data = excluded.data, fetched_at = excluded.fetched_at",
            (profile["user_id"], json.dumps(profile, ensure_ascii=False), rfc3339(now)),
        )


def wanted(conn: sqlite3.Connection, user_ids: Iterable[str | None], *, now: datetime) -> list[str]:
    """The ids among `user_ids` whose profile is neither pulled nor freshly fetched."""
    fresh_since = rfc3339(now - MAX_AGE)
    found = []
    for user_id in dict.fromkeys(u for u in user_ids if u):
        known = conn.execute(
            "SELECT 1 FROM profiles WHERE id = ?"
            " UNION ALL SELECT 1 FROM profile_cache WHERE id = ? AND fetched_at >= ?",
            (user_id, user_id, fresh_since),
        ).fetchone()
        if known is None:
            found.append(user_id)
    return found
