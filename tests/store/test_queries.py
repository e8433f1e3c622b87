from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiedan_cli.domain.geo import haversine_km
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.store.orderfilter import OrderFilter
from jiedan_cli.store.outbox import enqueue, mark_done, mark_rejected
from jiedan_cli.store.queries import (
    get_order,
    get_orders,
    list_bids,
    list_messages,
    list_orders,
    search_orders,
)
from tests.store.factories import bid, message, order, page, put

LATER = datetime(2026, 6, 1, tzinfo=UTC)  # after every order of the market below
SHANGHAI = (31.23, 121.47)
HANGZHOU = (30.27, 120.15)  # ≈165 km from Shanghai


def _t(n: int) -> str:
    return f"2026-03-01T00:{n // 60:02d}:{n % 60:02d}Z"


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def fill_market(conn: sqlite3.Connection) -> sqlite3.Connection:
    orders = [
        order("o1", "网站建设", category="development", tags=["Vue"], created_at=_t(1)),
        order(
            "o2",
            "LOGO设计",
            category="design",
            tags=["logo"],
            created_at=_t(2),
            budget_min_fen=50_000,
            budget_max_fen=80_000,
        ),
        order(
            "o3",
            "小程序",
            category="development",
            created_at=_t(3),
            budget_min_fen=300_000,
            budget_max_fen=500_000,
            location={"lat": 31.2, "lon": 121.5, "radius_km": 10},
        ),
        order(
            "o4",
            "上门拍摄",
            category="other",
            created_at=_t(4),
            location={"lat": HANGZHOU[0], "lon": HANGZHOU[1], "radius_km": 10},
        ),
        order("o5", "已完成的", status="completed", client_id="me", created_at=_t(5)),
        order("o6", "我在做的", status="in_progress", freelancer_id="me", created_at=_t(6)),
    ]
    apply_page(conn, page(*(put("order", o) for o in orders)))
    return conn


@pytest.fixture
def market(store: sqlite3.Connection) -> sqlite3.Connection:
    return fill_market(store)


# ---- filters --------------------------------------------------------------------------


def test_open_orders_newest_first_by_default(market: sqlite3.Connection) -> None:
    assert _ids(list_orders(market)) == ["o4", "o3", "o2", "o1"]
    assert _ids(list_orders(market, limit=2)) == ["o4", "o3"]
    assert _ids(list_orders(market, status="completed")) == ["o5"]
    assert len(list_orders(market, status="all")) == 6


def test_orders_have_the_contract_fields(market: sqlite3.Connection) -> None:
    shown = list_orders(market, limit=1)[0]
    contract = {
        "id",
        "title",
        "description",
        "category",
        "tags",
        "budget_min_fen",
        "budget_max_fen",
        "currency",
        "status",
        "client_id",
        "created_at",
        "deadline",
        "bid_count",
        "awarded_bid_id",
        "my_bid",
    }
    assert contract <= set(shown)
    assert shown["my_bid"] is None and shown["sync_state"] == "synced"


def test_category_tag_and_budget_filters(market: sqlite3.Connection) -> None:
    assert _ids(list_orders(market, category="development")) == ["o3", "o1"]
    assert _ids(list_orders(market, tag="vue")) == ["o1"]
    assert _ids(list_orders(market, budget_min_fen=250_000)) == ["o3"]
    assert _ids(list_orders(market, budget_max_fen=90_000)) == ["o2"]
    assert _ids(list_orders(market, budget_min_fen=90_000, budget_max_fen=250_000)) == ["o4", "o1"]


def test_near_keeps_located_orders_within_the_radius(market: sqlite3.Connection) -> None:
    assert _ids(list_orders(market, near=SHANGHAI, radius_km=20)) == ["o3"]
    assert _ids(list_orders(market, near=SHANGHAI, radius_km=200)) == ["o4", "o3"]


def test_nearest_first_sorts_by_distance_and_shows_it(market: sqlite3.Connection) -> None:
    found = list_orders(market, near=SHANGHAI, radius_km=200, nearest_first=True)
    assert _ids(found) == ["o3", "o4"]  # newest first would be o4, o3
    assert 0 < found[0]["distance_km"] < 10 < found[1]["distance_km"] < 200
    nearest = list_orders(market, near=SHANGHAI, radius_km=200, nearest_first=True, limit=1)
    assert _ids(nearest) == ["o3"]  # the limit keeps the nearest, not the newest
    assert 150 < haversine_km(*SHANGHAI, *HANGZHOU) < 180


def test_mine_means_posted_working_on_or_bid_on(
    market: sqlite3.Connection,
) -> None:
    apply_page(market, page(put("bid", bid("b1", "o2", created_at=_t(9)))))
    enqueue(market, "place_bid", {"order_id": "o1", "amount_fen": 1, "days": 1}, "bid", "b2")
    assert _ids(list_orders(market, mine_user_id="me", status="all")) == ["o6", "o5", "o2", "o1"]
    assert _ids(list_orders(market, mine_user_id="me")) == ["o2", "o1"]


def _plan_of_list_query(conn: sqlite3.Connection, **filters: Any) -> str:
    """EXPLAIN QUERY PLAN of the statement list_orders really runs."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    list_orders(conn, **filters)
    conn.set_trace_callback(None)
    [sql] = [s for s in statements if s.startswith("SELECT id, data FROM orders WHERE")]
    return " | ".join(row["detail"] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))


def test_list_queries_use_the_indexes(market: sqlite3.Connection) -> None:
    by_status = _plan_of_list_query(market)
    assert "ix_orders_status_created" in by_status and "TEMP B-TREE" not in by_status
    by_category = _plan_of_list_query(market, category="development")
    assert "ix_orders_category_status" in by_category and "TEMP B-TREE" not in by_category
    assert "order_tags" in _plan_of_list_query(market, tag="vue")


FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["open", "completed", "in_progress", "all"]),
        "category": st.sampled_from(["development", "design", "other"]),
        "tag": st.sampled_from(["VUE", "logo", "none"]),
        "budget_min_fen": st.integers(0, 600_000),
        "budget_max_fen": st.integers(0, 600_000),
        "near": st.sampled_from([SHANGHAI, HANGZHOU, (0.0, 179.9)]),
        "radius_km": st.sampled_from([5.0, 50.0, 500.0]),
        "mine_user_id": st.just("me"),
    },
)


@settings(max_examples=80, deadline=None)
@given(filters=FILTERS)
def test_the_sql_filters_and_the_python_predicate_agree(filters: dict[str, Any]) -> None:
    conn = open_db(":memory:")
    conn.execute("UPDATE sync_state SET user_id = 'me'")
    fill_market(conn)
    chosen = set(_ids(list_orders(conn, limit=100, **filters)))
    selected = OrderFilter.of(**filters)
    everyone = list_orders(conn, status="all", limit=100)
    assert chosen == {o["id"] for o in everyone if selected.accepts(o)}


# ---- the view: server copy + outbox ----------------------------------------------------

PLACE = {"id": "b9", "order_id": "o1", "amount_fen": 88_000, "days": 3, "message": "可以做"}


def test_a_queued_bid_shows_as_my_bid_pending(market: sqlite3.Connection) -> None:
    enqueue(market, "place_bid", PLACE, "bid", "b9")
    mine = get_order(market, "o1")["my_bid"]  # type: ignore[index]
    assert mine["id"] == "b9" and mine["sync_state"] == "pending"
    assert (mine["amount_fen"], mine["status"], mine["freelancer_id"]) == (
        88_000,
        "submitted",
        "me",
    )
    listed = {o["id"]: o for o in list_orders(market)}
    assert listed["o1"]["my_bid"]["sync_state"] == "pending"
    assert listed["o2"]["my_bid"] is None
    assert [b["sync_state"] for b in list_bids(market)] == ["pending"]


def test_a_rejected_bid_shows_rejected_with_the_reason(market: sqlite3.Connection) -> None:
    op = enqueue(market, "place_bid", PLACE, "bid", "b9")
    mark_rejected(market, op.seq, "conflict", "order already awarded")
    [shown] = list_bids(market)
    assert (shown["status"], shown["sync_state"], shown["reject_reason"]) == (
        "rejected",
        "rejected",
        "order already awarded",
    )
    assert get_order(market, "o1")["my_bid"]["sync_state"] == "rejected"  # type: ignore[index]


def test_a_done_bid_shows_the_servers_answer_until_it_is_pulled(
    market: sqlite3.Connection,
) -> None:
    op = enqueue(market, "place_bid", PLACE, "bid", "b9")
    mark_done(market, op.seq, bid("b9", "o1", amount_fen=88_000, created_at=_t(20)))
    [shown] = list_bids(market)
    assert (shown["sync_state"], shown["created_at"]) == ("synced", _t(20))
    apply_page(market, page(put("bid", bid("b9", "o1", amount_fen=88_000, status="awarded"))))
    [shown] = list_bids(market)
    assert (shown["status"], shown["sync_state"]) == ("awarded", "synced")


def test_queued_changes_to_a_synced_bid_are_shown_on_top(market: sqlite3.Connection) -> None:
    apply_page(market, page(put("bid", bid("b1", "o1", amount_fen=100_000))))
    enqueue(market, "update_bid", {"bid_id": "b1", "amount_fen": 90_000, "days": None}, "bid", "b1")
    [shown] = list_bids(market, order_id="o1")
    assert (shown["amount_fen"], shown["days"], shown["sync_state"]) == (90_000, 5, "pending")
    op = enqueue(market, "withdraw_bid", {"bid_id": "b1"}, "bid", "b1")
    assert list_bids(market, status="withdrawn")[0]["id"] == "b1"
    assert list_bids(market, status="submitted") == []
    mark_rejected(market, op.seq, "conflict", "already awarded")
    mark_done(market, op.seq - 1, None)
    [shown] = list_bids(market)
    assert (shown["status"], shown["sync_state"]) == ("submitted", "rejected")


def test_only_my_bids_become_my_bid(market: sqlite3.Connection) -> None:
    apply_page(market, page(put("bid", bid("other", "o1", freelancer_id="rival"))))
    assert get_order(market, "o1")["my_bid"] is None  # type: ignore[index]
    assert _ids(list_bids(market, order_id="o1")) == ["other"]  # a client sees all bids
    assert list_bids(market, freelancer_id="me") == []


def test_a_live_bid_wins_over_a_withdrawn_one(market: sqlite3.Connection) -> None:
    apply_page(
        market,
        page(
            put("bid", bid("old", "o1", status="withdrawn", created_at=_t(30))),
            put("bid", bid("new", "o1", created_at=_t(20))),
        ),
    )
    assert get_order(market, "o1")["my_bid"]["id"] == "new"  # type: ignore[index]


POST = {
    "id": "o9",
    "title": "APP开发",
    "description": "安卓和苹果",
    "category": "web",
    "tags": ["flutter"],
    "budget_min_fen": 1_000_000,
    "budget_max_fen": 2_000_000,
}


def test_a_queued_order_is_listed_found_and_shown(market: sqlite3.Connection) -> None:
    enqueue(market, "post_order", POST, "order", "o9", now=LATER)
    listed = list_orders(market)
    assert listed[0]["id"] == "o9" and listed[0]["sync_state"] == "pending"
    assert listed[0]["client_id"] == "me" and listed[0]["status"] == "open"
    assert _ids(list_orders(market, mine_user_id="me", status="all"))[0] == "o9"
    assert _ids(list_orders(market, tag="Flutter")) == ["o9"]
    assert _ids(list_orders(market, category="design")) == ["o2"]
    assert _ids(search_orders(market, "app")) == ["o9"]
    assert _ids(search_orders(market, "苹果")) == ["o9"]
    assert get_order(market, "o9")["sync_state"] == "pending"  # type: ignore[index]


def test_many_orders_read_at_once_are_each_as_get_order_shows_it(
    market: sqlite3.Connection,
) -> None:
    enqueue(market, "place_bid", PLACE, "bid", "b9")  # on o1
    enqueue(market, "post_order", POST, "order", "o9", now=LATER)
    asked = ["o9", "o1", "nowhere", "o2", "o1"]
    found = get_orders(market, asked)
    assert list(found) == ["o9", "o1", "o2"]  # asked order, once each, the unknown left out
    assert found == {oid: get_order(market, oid) for oid in found}
    assert found["o1"]["my_bid"]["id"] == "b9" and found["o2"]["my_bid"] is None
    assert get_orders(market, []) == {}


def test_a_queued_edit_is_shown_and_moves_the_order_between_filters(
    market: sqlite3.Connection,
) -> None:
    edit = {"order_id": "o1", "title": "网站改版", "category": "design", "tags": ["new"]}
    enqueue(market, "edit_order", edit, "order", "o1")
    shown = get_order(market, "o1")
    assert shown is not None
    assert (shown["title"], shown["category"], shown["sync_state"]) == (
        "网站改版",
        "design",
        "pending",
    )
    assert _ids(list_orders(market, category="design")) == ["o2", "o1"]
    assert _ids(list_orders(market, category="development")) == ["o3"]
    assert _ids(list_orders(market, tag="new")) == ["o1"]


def test_a_queued_order_with_a_place_is_found_near_it(market: sqlite3.Connection) -> None:
    located = {**POST, "location": {"lat": 31.25, "lon": 121.45, "radius_km": 5}}
    enqueue(market, "post_order", located, "order", "o9", now=LATER)
    assert _ids(list_orders(market, near=SHANGHAI, radius_km=20)) == ["o9", "o3"]


def test_a_queued_cancel_takes_an_order_out_of_the_open_list(market: sqlite3.Connection) -> None:
    enqueue(market, "cancel_order", {"order_id": "o1"}, "order", "o1")
    assert "o1" not in _ids(list_orders(market))
    assert _ids(list_orders(market, limit=3)) == ["o4", "o3", "o2"]
    assert _ids(list_orders(market, status="cancelled")) == ["o1"]
    assert "o1" not in _ids(search_orders(market, "网站"))
    assert get_order(market, "o1")["status"] == "cancelled"  # type: ignore[index]


def test_an_unknown_order_is_none(market: sqlite3.Connection) -> None:
    assert get_order(market, "nope") is None


# ---- messages -------------------------------------------------------------------------


def test_messages_are_oldest_first_with_queued_ones_after(market: sqlite3.Connection) -> None:
    apply_page(
        market,
        page(
            put("message", message("m2", "o1", "第二", created_at=_t(2))),
            put("message", message("m1", "o1", "第一", created_at=_t(1))),
            put("message", message("x1", "o2", "别的订单", created_at=_t(1))),
        ),
    )
    args = {"id": "m3", "order_id": "o1", "text": "我可以做"}
    enqueue(market, "send_message", args, "message", "m3")
    shown = list_messages(market, "o1")
    assert _ids(shown) == ["m1", "m2", "m3"]
    assert [m["sync_state"] for m in shown] == ["synced", "synced", "pending"]
    assert (shown[2]["sender_id"], shown[2]["recipient_id"]) == ("me", "client-1")
    enqueue(
        market,
        "send_message",
        {"id": "m4", "order_id": "o1", "text": "x", "to": "f-2"},
        "message",
        "m4",
    )
    assert list_messages(market, "o1")[-1]["recipient_id"] == "f-2"
    contract = {"id", "order_id", "sender_id", "recipient_id", "text", "created_at", "sync_state"}
    assert all(contract <= set(m) for m in shown)
    assert list_messages(market, "o3") == []
