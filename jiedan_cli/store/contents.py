"""What the local replica holds at all — to tell an empty copy (never synced, or signed out)
from filters that matched nothing, when a list comes back empty. Cold read path: the
standard library only."""

from __future__ import annotations

import sqlite3

_TABLES = {"order": "orders", "bid": "bids"}


def holds_any(conn: sqlite3.Connection, kind: str) -> bool:
    """Whether the replica has any `kind` ("order", "bid"): pulled, or queued in the outbox."""
    table = _TABLES[kind]
    row = conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table})"
        " OR EXISTS (SELECT 1 FROM outbox WHERE object_kind = ? AND state != 'done')",
        (kind,),
    ).fetchone()
    return bool(row[0])
