"""The outbox: operations made locally and not yet confirmed by the server.

Each operation gets the next per-install `seq` (the server applies a client's operations in
seq order and refuses gaps) and a fresh `op_id` (the idempotency key). `enqueue` joins the
caller's transaction, so a local change and its operation commit together or not at all:

    with transaction(conn):
        enqueue(conn, "place_bid", {...}, "bid", bid_id)

`created_at` is for display only; order is `seq`, never a clock.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jiedan_cli.domain.timefmt import rfc3339, utcnow
from jiedan_cli.store.db import transaction

PENDING, REJECTED, DONE = "pending", "rejected", "done"
_COLUMNS = (
    "seq, op_id, intent, args, created_at, state, object_kind, object_id,"
    " reject_code, reject_reason, result"
)


@dataclass(frozen=True)
class OutboxOperation:
    seq: int
    op_id: str
    intent: str
    args: dict[str, Any]
    created_at: str
    state: str
    object_kind: str | None
    object_id: str | None
    reject_code: str | None = None
    reject_reason: str | None = None
    result: Any = None


def operation_from_row(row: sqlite3.Row) -> OutboxOperation:
    return OutboxOperation(
        seq=row["seq"],
        op_id=row["op_id"],
        intent=row["intent"],
        args=json.loads(row["args"]),
        created_at=row["created_at"],
        state=row["state"],
        object_kind=row["object_kind"],
        object_id=row["object_id"],
        reject_code=row["reject_code"],
        reject_reason=row["reject_reason"],
        result=None if row["result"] is None else json.loads(row["result"]),
    )


def enqueue(
    conn: sqlite3.Connection,
    intent: str,
    args: Mapping[str, Any],
    object_kind: str | None = None,
    object_id: str | None = None,
    *,
    now: datetime | None = None,
) -> OutboxOperation:
    """Queue one operation inside the caller's transaction (or its own)."""
    with transaction(conn):
        seq = conn.execute(
            "UPDATE sync_state SET next_seq = next_seq + 1 WHERE id = 1 RETURNING next_seq - 1"
        ).fetchone()[0]
        op = OutboxOperation(
            seq=seq,
            op_id=str(uuid.uuid4()),
            intent=intent,
            args=dict(args),
            created_at=rfc3339(now or utcnow()) or "",
            state=PENDING,
            object_kind=object_kind,
            object_id=object_id,
        )
        conn.execute(
            "INSERT INTO outbox (seq, op_id, intent, args, created_at, state, object_kind,"
            " object_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                op.seq,
                op.op_id,
                op.intent,
                json.dumps(op.args, ensure_ascii=False),
                op.created_at,
                op.state,
                op.object_kind,
                op.object_id,
            ),
        )
    return op


def pending(conn: sqlite3.Connection, limit: int | None = None) -> list[OutboxOperation]:
    """Operations still to push, in seq order."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE state = ? ORDER BY seq LIMIT ?",
        (PENDING, -1 if limit is None else limit),
    )
    return [operation_from_row(row) for row in rows]


def rejected(conn: sqlite3.Connection) -> list[OutboxOperation]:
    """Operations the server refused for good, oldest first (for `sync status`)."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE state = ? ORDER BY seq", (REJECTED,))
    return [operation_from_row(row) for row in rows]


def get_operation(conn: sqlite3.Connection, seq: int) -> OutboxOperation | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else operation_from_row(row)


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """{"pending": n, "rejected": n, "done": n}."""
    found = dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    return {state: int(found.get(state, 0)) for state in (PENDING, REJECTED, DONE)}


def mark_done(conn: sqlite3.Connection, seq: int, result: Any = None) -> None:
    """The server applied the operation; `result` is its answer (usually the object)."""
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET state = ?, result = ?, reject_code = NULL, reject_reason = NULL"
            " WHERE seq = ?",
            (DONE, json.dumps(result, ensure_ascii=False), seq),
        )


def mark_rejected(conn: sqlite3.Connection, seq: int, code: str, reason: str) -> None:
    """The server refused the operation for good; it stays visible, and never blocks the rest."""
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET state = ?, reject_code = ?, reject_reason = ? WHERE seq = ?",
            (REJECTED, code, reason, seq),
        )


def renumber(conn: sqlite3.Connection, from_seq: int) -> int:
    """Renumber pending operations from `from_seq` on, contiguously and in their order, for a
    server that knows this client only up to `from_seq - 1` (a reset to an older database).
    Returns how many were renumbered.

    Done and rejected operations are history, and the server no longer knows those at or
    above `from_seq`: all history moves below every current key, in its order, out of the
    range of seqs that go on the wire. Pending operations below `from_seq` keep their seq:
    the server has them and answers a re-push with the stored result."""
    with transaction(conn):
        history = [
            row[0]
            for row in conn.execute(
                "SELECT seq FROM outbox WHERE state != ? ORDER BY seq", (PENDING,)
            )
        ]
        waiting = [
            row[0]
            for row in conn.execute(
                "SELECT seq FROM outbox WHERE state = ? AND seq >= ? ORDER BY seq",
                (PENDING, from_seq),
            )
        ]
        if history:
            lowest = conn.execute("SELECT min(seq) FROM outbox").fetchone()[0]
            base = min(lowest, 1) - len(history)  # every target is below every current key
            for offset, seq in enumerate(history):
                conn.execute("UPDATE outbox SET seq = ? WHERE seq = ?", (base + offset, seq))
        for offset, seq in enumerate(waiting):  # ascending, so each target is already free
            if seq != from_seq + offset:
                conn.execute("UPDATE outbox SET seq = ? WHERE seq = ?", (from_seq + offset, seq))
        conn.execute("UPDATE sync_state SET next_seq = ? WHERE id = 1", (from_seq + len(waiting),))
    return len(waiting)
