"""The verdict on what an action queued, read from real outbox rows of a real replica."""

from __future__ import annotations

import sqlite3

from jiedan_cli.store import actions, outbox
from jiedan_cli.store.verdicts import (
    Verdict,
    sync_status,
    verdict_after,
    verdict_of,
    verdict_over,
)

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _queue(conn: sqlite3.Connection, text: str) -> outbox.OutboxOperation:
    args = {"order_id": "o1", "text": text}
    return outbox.enqueue(conn, "send_message", args, "message", f"m-{text}")


def test_an_operation_the_server_has_not_answered_is_pending(store: sqlite3.Connection) -> None:
    op = _queue(store, "hello")
    assert verdict_of(store, op.op_id) == Verdict("pending")
    assert verdict_over(store, [op.op_id]).fields() == {
        "sync_state": "pending",
        "reject_reason": None,
    }


def test_a_refused_operation_is_rejected_with_the_servers_code_and_reason(
    store: sqlite3.Connection,
) -> None:
    op = _queue(store, "hello")
    outbox.mark_rejected(store, op.seq, "order_closed", "order is completed")
    verdict = verdict_of(store, op.op_id)
    assert verdict == Verdict("rejected", "order_closed", "order is completed")
    assert verdict is not None and verdict.rejected
    assert verdict.fields() == {"sync_state": "rejected", "reject_reason": "order is completed"}


def test_a_refusal_without_a_reason_says_the_server_refused(store: sqlite3.Connection) -> None:
    op = _queue(store, "hello")
    outbox.mark_rejected(store, op.seq, "conflict", "")
    assert verdict_over(store, [op.op_id]).fields()["reject_reason"] == "refused by the server"


def test_an_applied_operation_is_synced(store: sqlite3.Connection) -> None:
    op = _queue(store, "hello")
    outbox.mark_done(store, op.seq, {"id": "m-hello"})
    assert verdict_of(store, op.op_id) == Verdict("synced")
    assert verdict_over(store, [op.op_id]) == Verdict("synced")


def test_over_several_operations_the_first_refusal_wins_then_any_pending(
    store: sqlite3.Connection,
) -> None:
    done, waiting, refused, refused_later = (_queue(store, str(n)) for n in range(4))
    outbox.mark_done(store, done.seq)
    outbox.mark_rejected(store, refused.seq, "first", "the first refusal")
    outbox.mark_rejected(store, refused_later.seq, "second", "the second refusal")
    ids = [done.op_id, waiting.op_id, refused.op_id, refused_later.op_id]

    assert verdict_over(store, ids) == Verdict("rejected", "first", "the first refusal")
    assert verdict_over(store, ids[::-1]) == Verdict("rejected", "second", "the second refusal")
    assert verdict_over(store, [done.op_id, waiting.op_id]) == Verdict("pending")
    assert verdict_over(store, [done.op_id]) == Verdict("synced")


def test_an_op_id_the_outbox_does_not_hold_counts_for_nothing(store: sqlite3.Connection) -> None:
    waiting = _queue(store, "hello")
    assert verdict_of(store, UNKNOWN) is None
    assert verdict_over(store, [UNKNOWN]) == Verdict("synced")
    assert verdict_over(store, [UNKNOWN, waiting.op_id]) == Verdict("pending")
    assert verdict_over(store, []) == Verdict("synced")


def test_the_object_of_an_action_is_reread_with_the_verdict_of_what_it_queued(
    store: sqlite3.Connection,
) -> None:
    before = outbox.last_seq(store)
    shown = actions.post_order(
        store,
        title="品牌标志设计",
        description="一个标志",
        category="design",
        tags=[],
        budget_min_fen=50_000,
        budget_max_fen=80_000,
        deadline=None,
    )
    queued = outbox.op_ids_after(store, before)
    assert len(queued) == 1
    (op,) = outbox.by_op_ids(store, queued)
    outbox.mark_rejected(store, op.seq, "risk_hold", "held for review")

    reread, verdict = verdict_after(store, "order", shown, queued)
    assert verdict == Verdict("rejected", "risk_hold", "held for review")
    assert reread["id"] == shown["id"] and reread["title"] == "品牌标志设计"
    assert (reread["sync_state"], reread["reject_reason"]) == ("rejected", "held for review")


def test_a_check_in_shows_the_servers_count_once_it_answered(store: sqlite3.Connection) -> None:
    before = outbox.last_seq(store)
    shown = actions.check_in(store)
    queued = outbox.op_ids_after(store, before)
    pending, verdict = verdict_after(store, "checkin", shown, queued)
    assert verdict == Verdict("pending") and pending["amount"] == shown["amount"]

    (op,) = outbox.by_op_ids(store, queued)
    answer = {"amount": 777, "streak": 9, "created_at": "2026-03-01T08:00:00Z"}
    outbox.mark_done(store, op.seq, answer)
    counted, verdict = verdict_after(store, "checkin", shown, queued)
    assert verdict == Verdict("synced")
    assert {k: counted[k] for k in answer} == answer
    assert counted["sync_state"] == "synced" and counted["id"] == shown["id"]


def test_sync_status_lists_what_waits_and_what_was_refused(store: sqlite3.Connection) -> None:
    waiting, refused, done = (_queue(store, str(n)) for n in range(3))
    outbox.mark_rejected(store, refused.seq, "order_closed", "order is completed")
    outbox.mark_done(store, done.seq)

    status = sync_status(store)
    assert status["pending"] == 1
    assert [(r["op_id"], r["code"], r["reason"], r["kind"]) for r in status["rejected"]] == [
        (refused.op_id, "order_closed", "order is completed", "send_message")
    ]
    assert waiting.op_id not in {r["op_id"] for r in status["rejected"]}
