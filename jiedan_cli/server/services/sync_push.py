"""Push (sync.md, docs/sync-protocol.md): a client's queued operations, applied exactly once
and in the client's order.

Operations run a group at a time (push_group), each group in one transaction that locks the
client's `sync_clients` row; each operation either answers from what is stored (an op_id seen
before), refuses (a seq out of order), or applies the intent inside a savepoint of its own, its
outcome stored and `last_seq` advanced in that same transaction, so an outcome is never stored
without its effects, nor the reverse.
A domain error is a permanent rejection (stored, and `last_seq` moves on); a temporary failure
escapes as TemporaryFailure (HTTP 503), leaving the operation for the client to send again.
An operation the risk engine holds is stored `held` (its effects undone, the hold recorded in
the same transaction: services/holds.py) and `last_seq` moves on: neither applied nor lost, it
becomes applied or rejected when a reviewer decides, and a re-sent op_id answers that."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from jiedan_cli.domain.errors import Held, JiedanError, NotFound, RiskStopped, TemporaryFailure
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.engine import is_transient
from jiedan_cli.server.db.tables import sync_clients, sync_ops
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.holds import gated, stored
from jiedan_cli.server.services.intents import apply_intent
from jiedan_cli.server.services.risk import Origin

log = logging.getLogger("jiedan.sync")

APPLIED, REJECTED, DUPLICATE, GAP, CONFLICT = "applied", "rejected", "duplicate", "gap", "conflict"
HELD = "held"

# Built once: making a statement costs several times more than running it, and these run for
# every pushed operation.
_CLIENT = select(sync_clients).where(sync_clients.c.client_id == bindparam("client_id"))
_CLIENT_LOCKED = _CLIENT.with_for_update()
_STORED_OPS = (
    select(sync_ops.c.op_id, sync_ops.c.status, sync_ops.c.result, sync_clients.c.user_id)
    .join(sync_clients, sync_clients.c.client_id == sync_ops.c.client_id)
    .where(sync_ops.c.op_id.in_(bindparam("op_ids", expanding=True)))
)
_STORE_OP = insert(sync_ops)
_ADVANCE = (
    update(sync_clients)
    .where(sync_clients.c.client_id == bindparam("the_client"))
    .values(last_seq=bindparam("the_seq"))
)


@dataclass(frozen=True)
class PushedOp:
    seq: int
    op_id: str
    intent: str
    args: Any


def push_ops(
    db: Database,
    actor: Actor,
    client_id: str,
    ops: Sequence[PushedOp],
    *,
    now: datetime,
    settings: Settings,
    origin: Origin,
) -> dict[str, Any]:
    """Apply `ops` in the order given; stop at the first one out of sequence.

    Operations are applied a group at a time, each group (GROUP_OPS at most) in one
    transaction: the client row locked and the op_ids looked up once, the outcomes stored in
    one statement and `last_seq` advanced once — each operation still in a savepoint of its
    own, so a refused one undoes its effects alone. A temporary failure rolls back its whole
    group (nothing of it stored: the client sends those again); the groups before it are
    committed."""
    results: list[dict[str, Any]] = []
    start = 0
    while start < len(ops):
        with db.write() as conn:
            done = push_group(
                conn, actor, client_id, ops[start:], now=now, settings=settings, origin=origin
            )
        results.extend(done)
        start += len(done)
        if done[-1]["status"] in (GAP, CONFLICT):
            expected = done[-1]["expected_seq"]
            results.extend(_unprocessed(rest, expected) for rest in ops[start:])
            break
    with db.read() as conn:
        last_seq = client_last_seq(conn, actor, client_id)
    return {"results": results, "last_seq": last_seq}


# Operations in one transaction, at most: ≈ 0.1 s of SQLite's one writer on an idle machine
# (a bid ≈ 2 ms), which other writers wait behind; a count, not a clock, so a loaded machine
# makes the same groups (and the statement counts tests/server/test_bid_statements.py pins).
GROUP_OPS = 50


def push_group(
    conn: Connection,
    actor: Actor,
    client_id: str,
    ops: Sequence[PushedOp],
    *,
    now: datetime,
    settings: Settings,
    origin: Origin,
) -> list[dict[str, Any]]:
    """Settle the first of `ops` inside the caller's transaction: at least one, at most
    GROUP_OPS, up to the first out of sequence (included)."""
    ops = ops[:GROUP_OPS]
    client = _lock_client(conn, actor, client_id, now=now)
    last_seq = client.last_seq
    known = _stored_ops(conn, [op.op_id for op in ops])
    stored: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for op in ops:
        expected = last_seq + 1
        seen = known.get(op.op_id)
        if seen is not None:
            # Seen before, perhaps under another seq (a client that renumbered its queue
            # after a gap, e.g. once the server was restored from a backup): answer, never
            # re-apply.
            if op.seq == expected:
                last_seq = op.seq
            results.append({**_head(op), **_replay(seen, actor)})
            continue
        if op.seq < expected:
            results.append(
                {
                    **_head(op),
                    "status": CONFLICT,
                    "code": "seq_conflict",
                    "reason": f"seq {op.seq} was used by another operation; send it as {expected}",
                    "expected_seq": expected,
                }
            )
            break
        if op.seq > expected:
            results.append(_unprocessed(op, expected))
            break
        status, result = _apply(
            conn, actor, client_id, op, now=now, settings=settings, origin=origin
        )
        stored.append(
            {
                "client_id": client_id,
                "seq": op.seq,
                "op_id": op.op_id,
                "intent": op.intent[:40],
                "status": status,
                "result": result,
                "created_at": now,
            }
        )
        known[op.op_id] = _Stored(status, result, actor.id)  # the same op_id again: a replay
        last_seq = op.seq
        results.append({**_head(op), **_outcome(status, result)})
    if stored:
        try:
            conn.execute(_STORE_OP, stored)
        except IntegrityError as exc:
            # Another client stored one of these op_ids a moment ago: answer from it on the
            # retry.
            raise TemporaryFailure("this operation is being stored by another request") from exc
    if last_seq != client.last_seq:
        _advance(conn, client_id, last_seq)
    return results


def client_last_seq(conn: Connection, actor: Actor, client_id: str | None) -> int:
    """The last seq the server has settled for the caller's `client_id` (0 if none yet)."""
    if not client_id:
        return 0
    row = conn.execute(_CLIENT, {"client_id": client_id}).first()
    if row is None:
        return 0
    if row.user_id != actor.id:
        raise NotFound(f"no sync client {client_id} of yours")
    return int(row.last_seq)


# ---- steps --------------------------------------------------------------------------------


def _lock_client(conn: Connection, actor: Actor, client_id: str, *, now: datetime) -> Row[Any]:
    """The client's row, locked for this transaction; made on first use, bound to its user."""
    query = _CLIENT_LOCKED if conn.dialect.name == "postgresql" else _CLIENT
    row = conn.execute(query, {"client_id": client_id}).first()
    if row is None:
        conn.execute(
            _insert_ignoring_conflict(conn).values(
                client_id=client_id, user_id=actor.id, last_seq=0, created_at=now
            )
        )
        row = conn.execute(query, {"client_id": client_id}).one()
    if row.user_id != actor.id:
        raise NotFound(f"no sync client {client_id} of yours")
    return row


def _insert_ignoring_conflict(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(sync_clients).on_conflict_do_nothing(index_elements=["client_id"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(sync_clients).on_conflict_do_nothing(index_elements=["client_id"])


@dataclass(frozen=True)
class _Stored:
    status: str
    result: Any
    user_id: str


def _stored_ops(conn: Connection, op_ids: list[str]) -> dict[str, Any]:
    """The stored outcome of each of `op_ids` seen before, by op_id: one statement."""
    rows = conn.execute(_STORED_OPS, {"op_ids": op_ids})
    return {row.op_id: row for row in rows}


def _advance(conn: Connection, client_id: str, seq: int) -> None:
    conn.execute(_ADVANCE, {"the_client": client_id, "the_seq": seq})


def _apply(
    conn: Connection,
    actor: Actor,
    client_id: str,
    op: PushedOp,
    *,
    now: datetime,
    settings: Settings,
    origin: Origin,
) -> tuple[str, dict[str, Any]]:
    """Run the intent in a savepoint: ('applied', result), ('rejected', {code, reason}) or
    ('held', {code, hold_id, reason}) — a blocked one is rejected, its hold kept for staff."""

    def applied() -> dict[str, Any]:
        result = apply_intent(
            conn, actor, op.intent, op.args, now=now, settings=settings, origin=origin
        )
        # Checked inside the savepoint: an outcome that cannot be stored undoes its effects.
        return stored(result)

    try:
        return APPLIED, gated(
            conn,
            actor,
            applied,
            intent=op.intent,
            args=op.args if isinstance(op.args, dict) else None,
            now=now,
            settings=settings,
            client_id=client_id,
            op_id=op.op_id,
            undo=True,
        )
    except TemporaryFailure:
        raise
    except RiskStopped as stop:
        status = HELD if isinstance(stop, Held) else REJECTED
        return status, {"code": stop.code, "reason": stop.reason, "hold_id": stop.hold_id}
    except JiedanError as exc:
        return REJECTED, {"code": exc.code, "reason": exc.message}
    except DBAPIError as exc:
        if is_transient(exc) or exc.connection_invalidated:
            raise TemporaryFailure("the database is busy; try again shortly") from exc
        if isinstance(exc, IntegrityError):
            return REJECTED, {"code": "conflict", "reason": "conflicts with existing data"}
        if isinstance(exc, DataError):
            return REJECTED, {"code": "invalid_input", "reason": "a value is out of range"}
        raise
    except Exception:
        # A bug in one intent must not hold the client's queue behind it forever.
        log.exception("intent %s failed (op %s)", op.intent, op.op_id)
        return REJECTED, {"code": "internal_error", "reason": "the server failed on this operation"}


# ---- result items -------------------------------------------------------------------------


def _head(op: PushedOp) -> dict[str, Any]:
    return {"seq": op.seq, "op_id": op.op_id}


def _outcome(status: str, stored: dict[str, Any]) -> dict[str, Any]:
    if status == APPLIED:
        return {"status": APPLIED, "result": stored}
    answer = {"status": status, "code": stored.get("code"), "reason": stored.get("reason")}
    if stored.get("hold_id"):
        answer["hold_id"] = stored["hold_id"]
    return answer


def _replay(known: Any, actor: Actor) -> dict[str, Any]:
    if known.user_id != actor.id:
        # op_ids are UUIDs: a collision across users is a bad client, never a shared result.
        return {
            "status": REJECTED,
            "code": "op_id_conflict",
            "reason": "this op_id is taken by another operation; make a new one",
        }
    outcome = _outcome(known.status, known.result)
    return {**outcome, "status": DUPLICATE, "outcome": outcome["status"]}


def _unprocessed(op: PushedOp, expected: int) -> dict[str, Any]:
    return {
        **_head(op),
        "status": GAP,
        "reason": f"not processed: the server expects seq {expected} next",
        "expected_seq": expected,
    }
