"""The replica's own bookkeeping (one row): who it belongs to, the install's client id, the
next outbox seq, and where the last pull stopped."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass

from jiedan_cli.domain.errors import Conflict
from jiedan_cli.store.transaction import transaction


@dataclass(frozen=True)
class SyncState:
    client_id: str
    user_id: str | None
    next_seq: int
    cursor: str | None
    epoch: str | None
    last_seq: int
    last_sync_at: str | None


def sync_state(conn: sqlite3.Connection) -> SyncState:
    row = conn.execute(
        "SELECT client_id, user_id, next_seq, cursor, epoch, last_seq, last_sync_at"
        " FROM sync_state WHERE id = 1"
    ).fetchone()
    return SyncState(*row)


def current_user_id(conn: sqlite3.Connection) -> str | None:
    """The signed-in user this replica belongs to (None before the first sign-in)."""
    row = conn.execute("SELECT user_id FROM sync_state WHERE id = 1").fetchone()
    return None if row is None else row[0]


def set_user(conn: sqlite3.Connection, user_id: str, *, discard_pending: bool = False) -> bool:
    """Record who this replica belongs to; True when that changed.

    A different user starts a new replica: the server copy, the cursor and the outbox are
    cleared and the install gets a new client id (the server keys push seqs by client id, and
    another user's operations must never be pushed under this one's token). Pending
    operations of the previous user are refused with Conflict unless `discard_pending`."""
    from jiedan_cli.store.apply import clear_server_copy

    with transaction(conn):
        previous = current_user_id(conn)
        if previous == user_id:
            return False
        if previous is not None:
            waiting = conn.execute("SELECT count(*) FROM outbox WHERE state = 'pending'")
            if waiting.fetchone()[0] and not discard_pending:
                raise Conflict(
                    "the local database holds operations of another user not yet synced",
                    code="pending_operations",
                )
            clear_server_copy(conn)
            conn.execute("DELETE FROM outbox")
            conn.execute(
                "UPDATE sync_state SET client_id = ?, next_seq = 1, last_seq = 0,"
                " last_sync_at = NULL WHERE id = 1",
                (str(uuid.uuid4()),),
            )
        conn.execute("UPDATE sync_state SET user_id = ? WHERE id = 1", (user_id,))
    return True
