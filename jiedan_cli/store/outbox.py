"""The outbox: operations made locally and not yet confirmed by the server.

Each operation gets the next per-install `seq` (the server applies a client's operations in
seq order and refuses gaps) and a fresh `op_id` (the idempotency key). `enqueue` joins the
caller's transaction, so a local change and its operation commit together or not at all:

    with transaction(conn):
        enqueue(conn, Intent.PLACE_BID, {...}, "bid", bid_id)

`created_at` is for display only; order is `seq`, never a clock.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jiedan_cli.domain.errors import NotFound
from jiedan_cli.domain.timefmt import rfc3339, utcnow
from jiedan_cli.store.short_ids import MIN_PREFIX, AmbiguousId
from jiedan_cli.store.transaction import transaction

PENDING, REJECTED, DONE = "pending", "rejected", "done"
# The server answered, and holds it for a reviewer (its reason in reject_reason): it is
# neither pending (nothing to send again) nor settled until the hold feed says how it ended.
HELD = "held"
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


def held(conn: sqlite3.Connection) -> list[OutboxOperation]:
    """Operations the server holds for review, oldest first."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE state = ? ORDER BY seq", (HELD,))
    return [operation_from_row(row) for row in rows]


def rejected(conn: sqlite3.Connection) -> list[OutboxOperation]:
    """Operations the server refused for good and the user has not dismissed, oldest first
    (for `sync status` and the dashboard's count of refusals)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE state = ? AND dismissed_at IS NULL ORDER BY seq",
        (REJECTED,),
    )
    return [operation_from_row(row) for row in rows]


def dismiss(conn: sqlite3.Connection, op_ids: Sequence[str] | None) -> list[str]:
    """Put away refused operations the user has read: those of `op_ids` (each an op_id or a
    unique start of one, 6 characters or more), or every one when None. Their rows and their
    verdicts stay (a refused bid is still rejected); they leave `rejected`. The op_ids put
    away, in seq order; NotFound for an id that names no refused operation still shown,
    AmbiguousId (exit 2, the candidates listed) for a start of several."""
    shown = {op.op_id: op.seq for op in rejected(conn)}
    chosen = set(shown) if op_ids is None else {_one_of(shown, given) for given in op_ids}
    ordered = sorted(chosen, key=shown.__getitem__)
    with transaction(conn):
        conn.executemany(
            "UPDATE outbox SET dismissed_at = ? WHERE op_id = ?",
            [(rfc3339(utcnow()), op_id) for op_id in ordered],
        )
    return ordered


def _one_of(shown: dict[str, int], given: str) -> str:
    """As short_ids.full_id takes an id: whole, or a unique start of MIN_PREFIX or more."""
    wanted = given.strip().lower()
    if wanted in shown:
        return wanted
    found = sorted(op for op in shown if len(wanted) >= MIN_PREFIX and op.startswith(wanted))
    if len(found) > 1:
        said = f"{given} is the start of {len(found)} refused operations: give more"
        raise AmbiguousId(said, found)
    if not found:
        raise NotFound(f"no refused operation {given} (see `jiedan sync status`)")
    return found[0]


def last_seq(conn: sqlite3.Connection) -> int:
    """The highest seq queued so far (0 for an empty outbox): mark it before an action to
    find the operations the action queued (`op_ids_after`)."""
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0])


def op_ids_after(conn: sqlite3.Connection, seq: int) -> list[str]:
    """The op_ids of the operations queued after `seq`, in seq order. Callers keep op_ids,
    not seqs: a sync that resets the replica may renumber pending operations."""
    rows = conn.execute("SELECT op_id FROM outbox WHERE seq > ? ORDER BY seq", (seq,))
    return [row[0] for row in rows]


def by_op_ids(conn: sqlite3.Connection, op_ids: Sequence[str]) -> list[OutboxOperation]:
    """The operations of `op_ids` the outbox holds, in the order of `op_ids`."""
    found: dict[str, OutboxOperation] = {}
    for start in range(0, len(op_ids), _IDS_PER_QUERY):
        chunk = list(op_ids[start : start + _IDS_PER_QUERY])
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE op_id IN ({marks})", chunk)
        found.update((row["op_id"], operation_from_row(row)) for row in rows)
    return [found[op_id] for op_id in op_ids if op_id in found]


_IDS_PER_QUERY = 500  # below SQLite's oldest limit on bound parameters (999)


def latest_done(conn: sqlite3.Connection, intent: str, object_id: str) -> OutboxOperation | None:
    """The newest operation `intent` on `object_id` the server applied (its answer in
    `result`), or None."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE intent = ? AND object_id = ? AND state = ?"
        " ORDER BY seq DESC LIMIT 1",
        (intent, object_id, DONE),
    ).fetchone()
    return None if row is None else operation_from_row(row)


def get_operation(conn: sqlite3.Connection, seq: int) -> OutboxOperation | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else operation_from_row(row)


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """{"pending": n, "rejected": n, "done": n} (held ones: `held`)."""
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


def mark_held(conn: sqlite3.Connection, seq: int, reason: str) -> None:
    """The server holds the operation for a reviewer (sync.md: neither applied nor lost)."""
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET state = ?, reject_code = 'held', reject_reason = ? WHERE seq = ?",
            (HELD, reason, seq),
        )


def settle_held(conn: sqlite3.Connection, op_id: str, status: str, reason: str | None) -> None:
    """A hold of ours decided (the pulled `hold` feed; the caller's transaction): released →
    done (its effects arrive by the pull), blocked or failed → rejected with the reason."""
    if status == "released":
        conn.execute(
            "UPDATE outbox SET state = ?, reject_code = NULL, reject_reason = NULL"
            " WHERE op_id = ? AND state = ?",
            (DONE, op_id, HELD),
        )
    elif status in ("blocked", "failed"):
        conn.execute(
            "UPDATE outbox SET state = ?, reject_code = ?, reject_reason = ?"
            " WHERE op_id = ? AND state = ?",
            (REJECTED, f"risk_{status}", reason or f"{status} by a reviewer", op_id, HELD),
        )


# ---- renumbering after a server reset ---------------------------------------------------


def resequence(conn: sqlite3.Connection, first: int) -> int:
    """For a server that expects another seq than ours next: `gap` (our seq is ahead of
    what it knows: it was restored from an older backup) or `conflict` (our seq was taken by
    another operation: a copied replica sharing our client_id), with the seq it accepts next.

    Give the pending operations the seqs first, first+1, … in their current order, and
    make next_seq follow them. Done and rejected rows in the way move below every seq, in
    their order (they are history; their seq never goes on the wire again). Returns how
    many moved.

    op_ids do not change, so an operation the server already holds under another seq is
    answered from storage, never applied twice (server/services/sync_push.py)."""
    with transaction(conn):
        pending = [
            row[0]
            for row in conn.execute("SELECT seq FROM outbox WHERE state = 'pending' ORDER BY seq")
        ]
        wanted = list(range(first, first + len(pending)))
        _park(conn, pending)
        _move_history_out_of(conn, first)
        conn.executemany(
            "UPDATE outbox SET seq = ? WHERE seq = ?",
            [(target, -parked) for target, parked in zip(wanted, _parked(pending), strict=True)],
        )
        conn.execute("UPDATE sync_state SET next_seq = ? WHERE id = 1", (first + len(pending),))
    return sum(1 for old, new in zip(pending, wanted, strict=True) if old != new)


_PARK = 1 << 40  # far below any seq a row can hold, so parked rows collide with nothing


def _parked(seqs: list[int]) -> list[int]:
    return [_PARK + index for index in range(len(seqs))]


def _park(conn: sqlite3.Connection, seqs: list[int]) -> None:
    conn.executemany(
        "UPDATE outbox SET seq = ? WHERE seq = ?",
        [(-parked, seq) for parked, seq in zip(_parked(seqs), seqs, strict=True)],
    )


def _move_history_out_of(conn: sqlite3.Connection, first: int) -> None:
    """When history sits at or above `first`, all of it moves below every other row, keeping
    its order (`jiedan sync status` and the outbox listing show it oldest first)."""
    in_the_way = conn.execute(
        "SELECT 1 FROM outbox WHERE seq >= ? AND state != 'pending' LIMIT 1", (first,)
    ).fetchone()
    if in_the_way is None:
        return
    history = [
        r[0]
        for r in conn.execute(
            "SELECT seq FROM outbox WHERE seq > ? AND state != 'pending' ORDER BY seq", (-_PARK,)
        )
    ]
    lowest = conn.execute("SELECT min(seq) FROM outbox WHERE seq > ?", (-_PARK,)).fetchone()[0]
    base = min(lowest, first, 1) - len(history)
    conn.executemany(
        "UPDATE outbox SET seq = ? WHERE seq = ?",
        [(base + offset, seq) for offset, seq in enumerate(history)],
    )
