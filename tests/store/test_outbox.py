from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.store.outbox import (
    counts,
    dismiss,
    enqueue,
    get_operation,
    mark_done,
    mark_rejected,
    pending,
    rejected,
    resequence,
)
from jiedan_cli.store.state import current_user_id, set_user, sync_state
from jiedan_cli.store.transaction import transaction
from tests.store.factories import order, page, put


def _bid(conn: sqlite3.Connection, n: int) -> int:
    op = enqueue(conn, "place_bid", {"order_id": "o1", "amount_fen": n, "days": 1}, "bid", f"b{n}")
    return op.seq


def test_seqs_count_up_from_one_and_op_ids_are_fresh_uuids(store: sqlite3.Connection) -> None:
    ops = [
        enqueue(store, "send_message", {"order_id": "o1", "text": str(n)}, "message", f"m{n}")
        for n in range(5)
    ]
    assert [op.seq for op in ops] == [1, 2, 3, 4, 5]
    assert len({op.op_id for op in ops}) == 5
    assert all(uuid.UUID(op.op_id).version == 4 for op in ops)
    assert [op.args["text"] for op in pending(store)] == ["0", "1", "2", "3", "4"]
    assert sync_state(store).next_seq == 6


def test_created_at_is_recorded_for_display(store: sqlite3.Connection) -> None:
    moment = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    op = enqueue(store, "withdraw_bid", {"bid_id": "b1"}, "bid", "b1", now=moment)
    assert op.created_at == "2026-05-01T08:30:00Z"
    assert get_operation(store, op.seq) == op


def test_an_operation_commits_or_rolls_back_with_the_callers_change(
    store: sqlite3.Connection,
) -> None:
    with pytest.raises(RuntimeError), transaction(store):
        store.execute("UPDATE sync_state SET user_id = 'someone-else'")
        _bid(store, 1)
        raise RuntimeError("the command failed after queueing")
    assert pending(store) == []
    assert current_user_id(store) == "me"
    assert sync_state(store).next_seq == 1  # the seq was not used up
    with transaction(store):
        store.execute("UPDATE sync_state SET last_sync_at = 'x'")
        assert _bid(store, 2) == 1
    assert [op.seq for op in pending(store)] == [1]


def test_seqs_never_repeat_even_after_rows_are_removed(store: sqlite3.Connection) -> None:
    first = _bid(store, 1)
    store.execute("DELETE FROM outbox")
    assert _bid(store, 2) == first + 1


def test_done_and_rejected_operations_leave_the_queue(store: sqlite3.Connection) -> None:
    seqs = [_bid(store, n) for n in range(4)]
    mark_done(store, seqs[0], {"id": "b0", "status": "submitted"})
    mark_rejected(store, seqs[1], "conflict", "order already awarded")
    assert [op.seq for op in pending(store)] == seqs[2:]
    assert [op.seq for op in pending(store, limit=1)] == seqs[2:3]
    assert [(op.reject_code, op.reject_reason) for op in rejected(store)] == [
        ("conflict", "order already awarded")
    ]
    assert counts(store) == {"pending": 2, "rejected": 1, "done": 1}
    assert get_operation(store, seqs[0]).result == {"id": "b0", "status": "submitted"}  # type: ignore[union-attr]


def test_refusals_are_dismissed_by_id_start_or_all_and_keep_their_verdict(
    store: sqlite3.Connection,
) -> None:
    from jiedan_cli.store.verdicts import verdict_of

    seqs = [_bid(store, n) for n in range(4)]
    for seq in seqs[:3]:
        mark_rejected(store, seq, "conflict", "order already awarded")
    for n, seq in enumerate(seqs):  # the first and third share a start of 9 characters
        store.execute("UPDATE outbox SET op_id = ? WHERE seq = ?", (f"abcdef0{n % 2}-{n}", seq))
    first, second, third, waiting = "abcdef00-0", "abcdef01-1", "abcdef00-2", "abcdef01-3"
    assert dismiss(store, ["ABCDEF01"]) == [second]  # a start, in any case
    assert [op.op_id for op in rejected(store)] == [first, third]
    with pytest.raises(NotFound, match="no refused operation"):
        dismiss(store, [second])  # put away already
    with pytest.raises(NotFound):
        dismiss(store, [waiting])  # pending: nothing to put away
    with pytest.raises(NotFound):
        dismiss(store, ["abcde"])  # too short a start to name anything
    with pytest.raises(InvalidInput, match="start of 2 refused operations"):
        dismiss(store, ["abcdef00-"])
    assert dismiss(store, [first]) == [first]
    assert dismiss(store, None) == [third]
    assert rejected(store) == [] and dismiss(store, None) == []
    verdict = verdict_of(store, second)
    assert verdict is not None and verdict.rejected  # the bid is still the refused one
    assert [op.seq for op in pending(store)] == [seqs[3]]


def test_resequence_makes_pending_operations_contiguous_from_the_servers_next_seq(
    store: sqlite3.Connection,
) -> None:
    seqs = [_bid(store, n) for n in range(1, 6)]  # 1..5
    mark_done(store, 1, None)
    mark_done(store, 2, None)
    mark_rejected(store, 4, "conflict", "no")
    # The server was restored to a backup that knows this client up to seq 1.
    assert resequence(store, 2) == 2
    assert [(op.seq, op.object_id) for op in pending(store)] == [(2, "b3"), (3, "b5")]
    assert sync_state(store).next_seq == 4
    assert _bid(store, 6) == 4
    everything = store.execute("SELECT seq, object_id, state FROM outbox ORDER BY seq").fetchall()
    history = [(r["object_id"], r["state"]) for r in everything if r["state"] != "pending"]
    assert history == [("b1", "done"), ("b2", "done"), ("b4", "rejected")]
    assert len(everything) == len(seqs) + 1


@settings(max_examples=40, deadline=None)
@given(
    states=st.lists(st.sampled_from(["pending", "done", "rejected"]), min_size=1, max_size=12),
    data=st.data(),
)
def test_resequence_keeps_every_operation_and_the_order_of_pending_and_history(
    states: list[str], data: st.DataObject
) -> None:
    conn = open_db(":memory:")
    for n, state in enumerate(states, start=1):
        _bid(conn, n)
        if state == "done":
            mark_done(conn, n, None)
        elif state == "rejected":
            mark_rejected(conn, n, "c", "r")
    from_seq = data.draw(st.integers(1, len(states) + 2))
    before = [op.object_id for op in pending(conn)]
    history_before = _history(conn)
    resequence(conn, from_seq)
    after = pending(conn)
    assert [op.object_id for op in after] == before
    assert [op.seq for op in after] == list(range(from_seq, from_seq + len(after)))
    assert sync_state(conn).next_seq == from_seq + len(after)
    assert _history(conn) == history_before
    assert all(seq < from_seq for seq, _ in _history_seqs(conn))
    total = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    assert total == len(states)


def _history_seqs(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    rows = conn.execute("SELECT seq, object_id FROM outbox WHERE state != 'pending' ORDER BY seq")
    return [(row[0], row[1]) for row in rows]


def _history(conn: sqlite3.Connection) -> list[str]:
    return [object_id for _, object_id in _history_seqs(conn)]


# ---- whose replica this is --------------------------------------------------------------


def test_signing_in_as_another_user_starts_a_new_replica(store: sqlite3.Connection) -> None:
    apply_page(store, page(put("order", order("o1")), cursor="c1"))
    mark_done(store, _bid(store, 1), None)
    before = sync_state(store)
    assert set_user(store, "me") is False
    assert set_user(store, "other") is True
    after = sync_state(store)
    assert after.user_id == "other"
    assert after.client_id != before.client_id
    assert (after.cursor, after.next_seq) == (None, 1)
    assert store.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
    assert counts(store) == {"pending": 0, "rejected": 0, "done": 0}


def test_another_users_pending_operations_are_not_dropped_silently(
    store: sqlite3.Connection,
) -> None:
    _bid(store, 1)
    with pytest.raises(Conflict):
        set_user(store, "other")
    assert current_user_id(store) == "me"
    assert len(pending(store)) == 1
    assert set_user(store, "other", discard_pending=True)
    assert pending(store) == []
