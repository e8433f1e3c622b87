"""What the parties of an order read of its work: deliveries, reviews and the dispute, as
pulled with the user's queued operations on top — pending until sent, refused with the
server's reason — and a review refused offline when one of mine is already there."""

from __future__ import annotations

import sqlite3

import pytest

from jiedan_cli.domain.errors import Conflict
from jiedan_cli.store import actions, outbox
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.queries import get_dispute, list_deliveries, list_reviews
from tests.store.factories import order, page, put


def _with(store: sqlite3.Connection, *changes: dict) -> None:  # type: ignore[type-arg]
    apply_page(store, page(*changes))


def _review(rid: str, author: str, stars: int, when: str) -> dict:  # type: ignore[type-arg]
    subject = "client-1" if author == "me" else "me"
    return {
        "id": rid,
        "order_id": "o1",
        "author_id": author,
        "subject_id": subject,
        "stars": stars,
        "text": "",
        "created_at": when,
    }


def test_a_queued_delivery_shows_after_the_pulled_ones_as_pending(
    store: sqlite3.Connection,
) -> None:
    pulled = {
        "id": "d1",
        "order_id": "o1",
        "milestone_id": "m1",
        "freelancer_id": "me",
        "note": "初稿",
        "files": [],
        "created_at": "2026-03-01T08:00:00Z",
    }
    _with(
        store,
        put("order", order("o1", status="in_progress", freelancer_id="me")),
        put("delivery", pulled),
    )
    queued = actions.deliver(store, order_id="o1", note="终稿", files=[])
    shown = list_deliveries(store, "o1")
    assert [(d["note"], d["sync_state"]) for d in shown] == [
        ("初稿", "synced"),
        ("终稿", "pending"),
    ]
    assert shown[1]["id"] == queued["id"] and shown[1]["freelancer_id"] == "me"


def test_reviews_are_mine_queued_or_pulled_and_theirs_once_revealed(
    store: sqlite3.Connection,
) -> None:
    _with(store, put("order", order("o1", status="completed", freelancer_id="me")))
    mine = actions.write_review(store, order_id="o1", stars=4, text="顺利")
    assert [(r["author_id"], r["stars"], r["sync_state"]) for r in list_reviews(store, "o1")] == [
        ("me", 4, "pending")
    ]
    with pytest.raises(Conflict, match="reviewed this order already") as caught:
        actions.write_review(store, order_id="o1", stars=5)
    assert caught.value.code == "review_exists"

    [op] = outbox.pending(store)
    outbox.mark_done(store, op.seq, {"id": mine["id"]})
    _with(
        store,
        put("review", _review(mine["id"], "me", 4, "2026-03-02T08:00:00Z")),
        put("review", _review("r-theirs", "client-1", 5, "2026-03-03T08:00:00Z")),
    )
    shown = list_reviews(store, "o1")
    assert [(r["author_id"], r["sync_state"]) for r in shown] == [
        ("me", "synced"),
        ("client-1", "synced"),
    ]


def test_a_refused_review_is_shown_refused_and_may_be_written_again(
    store: sqlite3.Connection,
) -> None:
    _with(store, put("order", order("o1", status="completed", freelancer_id="me")))
    actions.write_review(store, order_id="o1", stars=2)
    [op] = outbox.pending(store)
    outbox.mark_rejected(store, op.seq, "order_disputed", "order is disputed")
    [refused] = list_reviews(store, "o1")
    assert (refused["sync_state"], refused["reject_reason"]) == ("rejected", "order is disputed")
    again = actions.write_review(store, order_id="o1", stars=3)
    assert again["sync_state"] == "pending"


def test_the_dispute_is_the_latest_one_a_queued_one_included(store: sqlite3.Connection) -> None:
    _with(store, put("order", order("o1", status="in_progress", freelancer_id="me")))
    assert get_dispute(store, "o1") is None
    actions.open_dispute(store, order_id="o1", reason="客户失联")
    shown = get_dispute(store, "o1")
    assert shown is not None
    assert (shown["status"], shown["opened_by"], shown["reason"], shown["sync_state"]) == (
        "open",
        "me",
        "客户失联",
        "pending",
    )
