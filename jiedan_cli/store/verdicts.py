"""What became of the operations a user queued: the verdict cli.md's local-first behaviour
prints (`sync_state`, `reject_reason`) and the dashboard shows, read from the outbox.

    before = outbox.last_seq(conn)
    shown = actions.award(conn, order_id=..., bid_id=...)     # store/actions.py
    queued = outbox.op_ids_after(conn, before)
    ...                                                        # one quick sync, or none
    shown, verdict = verdict_after(conn, "order", shown, queued)

A verdict is "pending" while the server has not answered, "rejected" (with the server's code
and reason) once it refused for good, "synced" once it applied the operation."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jiedan_cli.domain.intents import Intent
from jiedan_cli.store import outbox

PENDING, REJECTED, SYNCED = "pending", "rejected", "synced"
HELD = "held"  # the server holds it for a reviewer (risk engine): its reason is shown
REFUSED = "refused by the server"  # the reason shown when the server gave none


@dataclass(frozen=True)
class Verdict:
    state: str  # PENDING, REJECTED, HELD or SYNCED
    code: str | None = None  # the server's refusal code (rejected only)
    reason: str | None = None  # the server's refusal or hold reason, as it sent it

    @property
    def rejected(self) -> bool:
        return self.state == REJECTED

    @property
    def held(self) -> bool:
        return self.state == HELD

    def fields(self) -> dict[str, Any]:
        """The object's `sync_state` and `reject_reason` (cli.md)."""
        return {
            "sync_state": self.state,
            "reject_reason": (self.reason or REFUSED) if self.rejected else None,
        }


def _of(op: outbox.OutboxOperation) -> Verdict:
    if op.state == outbox.REJECTED:
        return Verdict(REJECTED, op.reject_code, op.reject_reason)
    if op.state == outbox.HELD:
        return Verdict(HELD, "held", op.reject_reason)
    return Verdict(PENDING if op.state == outbox.PENDING else SYNCED)


def verdict_of(conn: sqlite3.Connection, op_id: str) -> Verdict | None:
    """The verdict on one operation; None when the outbox does not hold `op_id`."""
    found = outbox.by_op_ids(conn, [op_id])
    return _of(found[0]) if found else None


def verdict_over(conn: sqlite3.Connection, op_ids: Sequence[str]) -> Verdict:
    """The verdict on what one action queued: rejected when any operation was refused (the
    first of them, by the order of `op_ids`), pending while any waits, else synced. Op ids
    the outbox does not hold count for nothing."""
    verdicts = [_of(op) for op in outbox.by_op_ids(conn, op_ids)]
    refused = next((verdict for verdict in verdicts if verdict.rejected), None)
    if refused is not None:
        return refused
    waiting = next((verdict for verdict in verdicts if verdict.held), None)
    if waiting is not None:
        return waiting
    return Verdict(PENDING if any(v.state == PENDING for v in verdicts) else SYNCED)


def reread(conn: sqlite3.Connection, kind: str, shown: dict[str, Any]) -> dict[str, Any]:
    """The object an action answered (`shown`) as the replica holds it now, after a sync:
    an "order", "bid", "message" or "delivery" re-read; a "review" as the server sent it once
    pulled; a "checkin" with the server's count once it answered. Any other kind, and an
    object the replica does not hold (yet), as the action gave it."""
    from jiedan_cli.store import queries

    found: dict[str, Any] | None = None
    if kind == "order":
        found = queries.get_order(conn, shown["id"])
    elif kind == "bid":
        found = queries.get_bid(conn, shown["id"])
    elif kind == "message":
        found = queries.get_message(conn, shown["order_id"], shown["id"])
    elif kind == "delivery":  # its files' upload states after the sync
        found = queries.get_delivery(conn, shown["order_id"], shown["id"])
    elif kind == "review":
        found = queries.pulled_review(conn, shown["id"])
    elif kind == "checkin":
        found = _counted_check_in(conn, shown)
    return dict(found if found is not None else shown)


def _counted_check_in(conn: sqlite3.Connection, shown: dict[str, Any]) -> dict[str, Any] | None:
    """The check-in with the server's own count (amount, streak, time), once it answered."""
    done = outbox.latest_done(conn, Intent.CHECK_IN, shown["id"])
    if done is None or not done.result:
        return None
    return {**shown, **{key: done.result[key] for key in ("amount", "streak", "created_at")}}


def verdict_after(
    conn: sqlite3.Connection, kind: str, shown: dict[str, Any], op_ids: Sequence[str]
) -> tuple[dict[str, Any], Verdict]:
    """The object re-read (`reread`) with the `sync_state` and `reject_reason` of the
    operations `op_ids` its action queued, and their verdict."""
    verdict = verdict_over(conn, op_ids)
    return {**reread(conn, kind, shown), **verdict.fields()}, verdict


def sync_status(conn: sqlite3.Connection) -> dict[str, Any]:
    """The outbox at a glance — what waits, what was refused and why, where the last pull
    stopped: the `jiedan sync status --json` document (cli.md) and the dashboard's sync line."""
    from jiedan_cli.store.state import sync_state

    state = sync_state(conn)
    return {
        "pending": outbox.counts(conn)[outbox.PENDING],
        "rejected": [
            {
                "op_id": op.op_id,
                "kind": op.intent,
                "reason": op.reject_reason,
                "code": op.reject_code,
                "object_id": op.object_id,
                "created_at": op.created_at,
            }
            for op in outbox.rejected(conn)
        ],
        "last_sync_at": state.last_sync_at,
        "cursor": state.cursor,
        "held": [
            {
                "op_id": op.op_id,
                "kind": op.intent,
                "reason": op.reject_reason,
                "object_id": op.object_id,
                "created_at": op.created_at,
            }
            for op in outbox.held(conn)
        ],
    }
