"""Local-first actions: queued with the local change, and refused offline with the reason and
code the server would give (the same domain rules)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jiedan_cli.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Refused,
    Unauthenticated,
)
from jiedan_cli.domain.points import checkin_day, checkin_entry_id
from jiedan_cli.store import actions, outbox, queries
from jiedan_cli.store.apply import apply_page
from tests.store.factories import bid, order, page, put


def _with(store: sqlite3.Connection, *changes: dict) -> None:  # type: ignore[type-arg]
    apply_page(store, page(*changes))


def test_a_bid_is_queued_and_shown_pending(store: sqlite3.Connection) -> None:
    _with(store, put("order", order("o1")))
    shown = actions.place_bid(store, order_id="o1", amount_fen=80_000, days=3, message="可以做")
    assert shown["sync_state"] == "pending" and shown["amount_fen"] == 80_000
    [op] = outbox.pending(store)
    assert op.intent == "place_bid" and op.args["id"] == shown["id"] and op.object_id == shown["id"]


@pytest.mark.parametrize(
    ("status", "code"), [("awarded", "order_awarded"), ("cancelled", "order_cancelled")]
)
def test_bidding_on_an_order_no_longer_open_is_refused_offline(
    store: sqlite3.Connection, status: str, code: str
) -> None:
    # as the server leaves it in a bidder's replica: awarded to another (closed to me), or
    # cancelled with my bid declined (a stranger's replica drops it: the server answers 404)
    _with(
        store,
        put("order", order("o1", status=status, closed_to_me=status == "awarded")),
        put("bid", bid("b1", "o1", status="declined")),
    )
    with pytest.raises(Conflict) as caught:
        actions.place_bid(store, order_id="o1", amount_fen=80_000, days=3)
    assert caught.value.code == code
    assert outbox.pending(store) == []


def test_bidding_on_ones_own_order_is_refused(store: sqlite3.Connection) -> None:
    _with(store, put("order", order("o1", client_id="me")))
    with pytest.raises(Refused) as caught:
        actions.place_bid(store, order_id="o1", amount_fen=80_000, days=3)
    assert caught.value.code == "own_order"


def test_a_second_live_bid_is_refused(store: sqlite3.Connection) -> None:
    _with(store, put("order", order("o1")), put("bid", bid("b1", "o1")))
    with pytest.raises(Conflict) as caught:
        actions.place_bid(store, order_id="o1", amount_fen=90_000, days=3)
    assert caught.value.code == "bid_exists"


def test_an_unknown_order_is_left_to_the_server(store: sqlite3.Connection) -> None:
    shown = actions.place_bid(store, order_id="not-pulled-yet", amount_fen=1, days=1)
    assert shown["sync_state"] == "pending"


def _post(store: sqlite3.Connection) -> dict[str, Any]:
    return actions.post_order(
        store, title="请柬设计", description="", category="design", tags=[],
        budget_min_fen=50_000, budget_max_fen=80_000,
    )  # fmt: skip


def test_a_freelancer_only_account_is_refused_posting_once_its_roles_are_pulled(
    store: sqlite3.Connection,
) -> None:
    assert queries.my_roles(store) is None  # before the first sync the server decides
    _post(store)
    _with(store, put("user", {"id": "me", "roles": ["freelancer"]}))
    assert queries.my_roles(store) == {"freelancer"}
    with pytest.raises(Forbidden, match="needs the role client"):
        _post(store)
    assert [op.intent for op in outbox.pending(store)] == ["post_order"]  # the first only


def test_a_client_only_account_is_refused_bidding(store: sqlite3.Connection) -> None:
    _with(store, put("order", order("o1")), put("user", {"id": "me", "roles": ["client"]}))
    with pytest.raises(Forbidden, match="needs the role freelancer"):
        actions.place_bid(store, order_id="o1", amount_fen=80_000, days=3)
    _post(store)
    assert [op.intent for op in outbox.pending(store)] == ["post_order"]


@pytest.mark.parametrize(("amount", "days"), [(0, 3), (-5, 3), (100, 0), (100, 366)])
def test_malformed_terms_write_nothing(store: sqlite3.Connection, amount: int, days: int) -> None:
    with pytest.raises(InvalidInput):
        actions.place_bid(store, order_id="o1", amount_fen=amount, days=days)
    assert outbox.pending(store) == []


def test_withdrawing_then_updating_is_refused(store: sqlite3.Connection) -> None:
    _with(store, put("order", order("o1")), put("bid", bid("b1", "o1")))
    assert actions.withdraw_bid(store, "b1")["status"] == "withdrawn"
    with pytest.raises(Conflict) as caught:
        actions.update_bid(store, "b1", amount_fen=1)
    assert caught.value.code == "bid_withdrawn"


def test_a_client_cannot_act_on_another_clients_order(store: sqlite3.Connection) -> None:
    _with(store, put("order", order("o1", client_id="someone-else")))
    with pytest.raises(NotFound):
        actions.award(store, order_id="o1", bid_id="b1")


def test_accept_before_delivery_is_refused(store: sqlite3.Connection) -> None:
    _with(store, put("order", order("o1", client_id="me", status="in_progress")))
    with pytest.raises(Conflict) as caught:
        actions.accept(store, order_id="o1")
    assert caught.value.code == "order_in_progress"


def test_a_second_delivery_waits_for_a_second_funded_milestone(store: sqlite3.Connection) -> None:
    """The queued delivery took the funded milestone (domain/escrow.statuses_as_queued): the
    next is refused offline as the server would refuse it, until another is funded."""
    _with(
        store,
        put("order", order("o1", status="in_progress", freelancer_id="me")),
        put("milestone", {"id": "m1", "order_id": "o1", "position": 1, "status": "funded"}),
    )
    actions.deliver(store, order_id="o1", note="初稿", files=[])
    with pytest.raises(Conflict) as caught:
        actions.deliver(store, order_id="o1", note="二稿", files=[])
    assert caught.value.code == "nothing_to_deliver"
    _with(
        store, put("milestone", {"id": "m2", "order_id": "o1", "position": 2, "status": "funded"})
    )
    actions.deliver(store, order_id="o1", note="二稿", files=[])  # the order shows delivered
    assert [op.intent for op in outbox.pending(store)] == ["deliver", "deliver"]


def test_nothing_works_before_sign_in(store: sqlite3.Connection) -> None:
    store.execute("UPDATE sync_state SET user_id = NULL")
    with pytest.raises(Unauthenticated):
        actions.place_bid(store, order_id="o1", amount_fen=1, days=1)


MOVES: list[tuple[str, str, Any, str]] = [
    ("open", "client", lambda c: actions.award(c, order_id="o1", bid_id="b1"), "awarded"),
    ("awarded", "client", lambda c: actions.fund(c, order_id="o1"), "in_progress"),
    (
        "in_progress",
        "freelancer",
        lambda c: actions.deliver(c, order_id="o1", note="done", files=[]),
        "delivered",
    ),
    ("delivered", "client", lambda c: actions.accept(c, order_id="o1"), "completed"),
    ("delivered", "client", lambda c: actions.revise(c, order_id="o1", note="改"), "in_progress"),
    (
        "in_progress",
        "freelancer",
        lambda c: actions.open_dispute(c, order_id="o1", reason="没付款"),
        "disputed",
    ),
]


@pytest.mark.parametrize(("status", "role", "act", "shown_status"), MOVES)
def test_a_move_on_an_order_shows_its_new_status_at_once_as_pending(
    store: sqlite3.Connection, status: str, role: str, act: Any, shown_status: str
) -> None:
    parties = {"client_id": "me"} if role == "client" else {"freelancer_id": "me"}
    _with(
        store,
        put("order", order("o1", status=status, **parties)),
        put("bid", bid("b1", "o1", "f-1")),
    )
    act(store)
    shown = queries.get_order(store, "o1")
    assert shown is not None
    assert (shown["status"], shown["sync_state"]) == (shown_status, "pending")


def test_a_queued_award_shows_which_bid_was_chosen(store: sqlite3.Connection) -> None:
    """Before the award syncs the order names the bid, so the dashboard can say what a
    funding pays and to whom (the award makes one milestone for that bid's amount)."""
    _with(store, put("order", order("o1", client_id="me")), put("bid", bid("b1", "o1", "f-1")))
    actions.award(store, order_id="o1", bid_id="b1")
    shown = queries.get_order(store, "o1")
    assert shown is not None
    assert (shown["status"], shown["awarded_bid_id"]) == ("awarded", "b1")


def test_a_clients_message_goes_to_the_awarded_freelancer_or_must_name_one(
    store: sqlite3.Connection,
) -> None:
    _with(
        store, put("order", order("o1", client_id="me")), put("order", order("o2", client_id="me"))
    )
    with pytest.raises(InvalidInput) as caught:
        actions.send_message(store, order_id="o1", text="在吗")  # open: which bidder?
    assert caught.value.field == "to"
    _with(
        store, put("order", order("o2", client_id="me", status="in_progress", freelancer_id="f-1"))
    )
    sent = actions.send_message(store, order_id="o2", text="开始吧")
    assert sent["recipient_id"] == "f-1"
    assert outbox.pending(store)[0].args["to"] == "f-1"


def test_a_check_in_counts_the_streak_the_replica_knows_and_comes_once_a_day(
    store: sqlite3.Connection,
) -> None:
    noon = datetime(2026, 3, 20, 4, tzinfo=UTC)  # 12:00 in China
    today = checkin_day(noon)
    pulled = [
        {"id": checkin_entry_id("me", today - timedelta(days=n)), "amount": 5, "kind": "checkin"}
        for n in (1, 2)
    ]  # the two days before, as the server sent them
    _with(
        store, *(put("points_entry", {**e, "created_at": "2026-03-19T04:00:00Z"}) for e in pulled)
    )
    shown = actions.check_in(store, now=noon)
    assert (shown["day"], shown["streak"], shown["amount"]) == (str(today), 3, 7)
    assert shown["id"] == checkin_entry_id("me", today) and shown["sync_state"] == "pending"
    [op] = outbox.pending(store)
    assert (op.intent, op.args) == ("check_in", {"day": str(today)})
    with pytest.raises(Conflict) as caught:
        actions.check_in(store, now=noon + timedelta(hours=3))  # the same day in China
    assert caught.value.code == "checked_in"
    tomorrow = actions.check_in(store, now=noon + timedelta(days=1))  # the queued one counts
    assert tomorrow["streak"] == 4
