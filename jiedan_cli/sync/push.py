"""Push: the outbox to `POST /v1/sync/push`, in batches capped by count and bytes, gzipped.

Each result settles its operation: applied (or a duplicate of an applied one) → done with the
server's answer; rejected → rejected with its code and reason, and the queue goes on. A `gap`
or `conflict` means the server expects another seq next: pending operations are renumbered
from there (store/outbox.resequence) and sent again. Transport failures and 503s are retried
with backoff inside the deadline (retry.py); the same batch goes again with the same seqs and
op_ids, so the server answers what it already applied from storage."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import httpx

from jiedan_cli.domain.errors import Conflict, InvalidInput
from jiedan_cli.domain.intents import Intent
from jiedan_cli.store import outbox
from jiedan_cli.store.outbox import OutboxOperation, resequence
from jiedan_cli.store.state import sync_state
from jiedan_cli.store.transaction import transaction
from jiedan_cli.sync.http import BodyTooLarge, ServerError, encode_json, replica_owner, request
from jiedan_cli.sync.progress import ProgressCallback, report
from jiedan_cli.sync.retry import Deadline, RetryPolicy, retrying

PUSH_PATH = "/v1/sync/push"
MAX_RESEQUENCES = 5  # per sync; more means something else is wrong


@dataclass
class BatchLimits:
    """A push carries at most `max_ops` operations, `max_messages` of them messages, and
    `max_bytes` of JSON (uncompressed: the server caps the decompressed body at 1 MiB, a
    push at 500 operations and 100 messages by default — more is a 413, which halved the
    batches: 13 requests for 500 bids and 500 messages instead of 6)."""

    max_ops: int = 500
    max_bytes: int = 256 * 1024
    max_messages: int = 100


@dataclass
class PushTally:
    pushed: int = 0
    rejected: int = 0
    requests: int = 0
    stopped_early: bool = False  # the deadline came with operations still queued


def push_outbox(
    conn: sqlite3.Connection,
    client: httpx.Client,
    *,
    deadline: Deadline,
    policy: RetryPolicy,
    limits: BatchLimits | None = None,
    progress: ProgressCallback | None = None,
) -> PushTally:
    """Push every pending operation; returns what happened to them."""
    limits = BatchLimits(**vars(limits)) if limits else BatchLimits()  # narrowed below
    tally = PushTally()
    total = outbox.counts(conn)[outbox.PENDING]
    resequenced = 0
    while True:
        batch = next_batch(conn, limits)
        if not batch:
            return tally
        if deadline.expired():
            tally.stopped_early = True
            return tally
        report(progress, "push", tally.pushed + tally.rejected, total)
        try:
            answer = _send(conn, client, batch, deadline, policy, tally)
        except (BodyTooLarge, InvalidInput) as exc:
            if _refused_whole_batch(conn, batch, limits, exc):
                tally.rejected += 1
            continue
        settled, expected = settle(conn, batch, answer.get("results") or [])
        tally.pushed += settled.pushed
        tally.rejected += settled.rejected
        if expected is not None:
            resequenced += 1
            if resequenced > MAX_RESEQUENCES:
                raise Conflict("the server keeps refusing this replica's sequence numbers")
            resequence(conn, expected)
        elif settled.pushed + settled.rejected + settled.held == 0:
            raise ServerError("the server answered a push without settling any operation")
        report(progress, "push", tally.pushed + tally.rejected, total)


def next_batch(conn: sqlite3.Connection, limits: BatchLimits) -> list[tuple[OutboxOperation, int]]:
    """The first pending operations, in seq order, within the limits (at least one), each
    with its encoded size."""
    chosen: list[tuple[OutboxOperation, int]] = []
    used = messages = 0
    for op in outbox.pending(conn, limit=limits.max_ops):
        size = len(encode_json(wire_form(op))) + 1
        message = op.intent == Intent.SEND_MESSAGE
        if chosen and (used + size > limits.max_bytes or messages + message > limits.max_messages):
            break
        chosen.append((op, size))
        used += size
        messages += message
    return chosen


def wire_form(op: OutboxOperation) -> dict[str, Any]:
    return {
        "seq": op.seq,
        "op_id": op.op_id,
        "intent": op.intent,
        "args": op.args,
        "created_at": op.created_at,
    }


def _send(
    conn: sqlite3.Connection,
    client: httpx.Client,
    batch: list[tuple[OutboxOperation, int]],
    deadline: Deadline,
    policy: RetryPolicy,
    tally: PushTally,
) -> dict[str, Any]:
    state = sync_state(conn)
    body = {"client_id": state.client_id, "ops": [wire_form(op) for op, _ in batch]}
    params = replica_owner(state.user_id)

    def attempt(seconds_left: float | None) -> Any:
        tally.requests += 1
        return request(
            client,
            "POST",
            PUSH_PATH,
            json_body=body,
            params=params,
            gzip_body=True,
            timeout=seconds_left,
        )

    answer = retrying(attempt, deadline, policy)
    if not isinstance(answer, dict):
        raise ServerError("the server's push answer is not an object")
    return answer


@dataclass
class Settled:
    pushed: int = 0
    rejected: int = 0
    held: int = 0


def settle(
    conn: sqlite3.Connection,
    batch: list[tuple[OutboxOperation, int]],
    results: list[dict[str, Any]],
) -> tuple[Settled, int | None]:
    """Record the server's answers in one local transaction. Returns the counts and, for a
    gap or conflict, the seq the server expects next (the rest of the batch stays pending)."""
    by_op_id = {op.op_id: op for op, _ in batch}
    settled = Settled()
    with transaction(conn):
        for result in results:
            op = by_op_id.get(str(result.get("op_id")))
            if op is None:
                continue
            status = result.get("status")
            if status in ("gap", "conflict"):
                return settled, int(result["expected_seq"])
            outcome = result.get("outcome") if status == "duplicate" else status
            if outcome == "applied":
                outbox.mark_done(conn, op.seq, result.get("result"))
                settled.pushed += 1
            elif outcome == "held" or status == "held":
                outbox.mark_held(conn, op.seq, result.get("reason") or "held for review")
                settled.held += 1
            elif outcome == "rejected" or status == "rejected":
                reason = result.get("reason") or "refused by the server"
                outbox.mark_rejected(conn, op.seq, result.get("code") or "rejected", reason)
                settled.rejected += 1
    return settled, None


def _refused_whole_batch(
    conn: sqlite3.Connection,
    batch: list[tuple[OutboxOperation, int]],
    limits: BatchLimits,
    exc: InvalidInput,
) -> bool:
    """The server refused the request as a whole (413, or 422 naming an operation): narrow
    the batches down to the one operation at fault, then reject that one here — the server
    never consumed its seq, so the operations behind it move down one. True when one was
    rejected; re-raises a 422 that is not about an operation (a bug of ours)."""
    about_an_op = isinstance(exc, BodyTooLarge) or exc.message.startswith("ops")
    if not about_an_op:
        raise exc
    if len(batch) > 1:
        limits.max_ops = max(1, len(batch) // 2) if isinstance(exc, BodyTooLarge) else 1
        limits.max_bytes = (
            max(1, limits.max_bytes // 2) if isinstance(exc, BodyTooLarge) else limits.max_bytes
        )
        messages = sum(op.intent == Intent.SEND_MESSAGE for op, _size in batch)
        if isinstance(exc, BodyTooLarge) and messages > 1:  # a server allowing fewer a push
            limits.max_messages = min(limits.max_messages, messages // 2)
        return False
    op = batch[0][0]
    code = "too_large" if isinstance(exc, BodyTooLarge) else "invalid_input"
    with transaction(conn):
        outbox.mark_rejected(conn, op.seq, code, exc.message)
        resequence(conn, op.seq)
    return True
