"""The facts of the dispute-risk warnings, from the replica (store/dispute_facts.py): the
category's median from accepted bids, else the board's open budgets, else none; typical days
from accepted bids, else the shipped rule of thumb; the freelancer from their profile."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from jiedan_cli.store import dispute_facts, profile_cache
from jiedan_cli.store.apply import apply_page
from tests.store.factories import bid, order, page, put

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def orders_on_the_board(store: sqlite3.Connection, budgets: list[int]) -> None:
    changes = [
        put("order", order(f"o{n}", category="design", budget_max_fen=fen, client_id=f"c{n}"))
        for n, fen in enumerate(budgets)
    ]
    apply_page(store, page(*changes))


def test_no_median_from_too_few_open_orders(store: sqlite3.Connection) -> None:
    orders_on_the_board(store, [100_000] * 4)
    assert dispute_facts.category_median(store, "design") is None
    assert (
        dispute_facts.at_posting(
            store, description="做个logo", category="设计", budget_max_fen=1_000, deadline=None
        )[0].code
        == "vague_description"
    )  # and no budget warning without a median


def test_the_boards_open_budgets_give_the_median(store: sqlite3.Connection) -> None:
    orders_on_the_board(store, [100_000, 200_000, 300_000, 400_000, 500_000])
    median = dispute_facts.category_median(store, "design")
    assert median is not None and median.value == 300_000
    assert "5 open 设计 orders" in median.described
    found = dispute_facts.at_posting(
        store,
        description="品牌logo设计，需要三个方案和源文件，用于门店招牌",
        category="design",
        budget_max_fen=149_999,
        deadline="2099-01-01",
    )
    assert [w.code for w in found] == ["budget_far_below_median"]


def test_accepted_bids_come_first_and_give_typical_days(store: sqlite3.Connection) -> None:
    orders_on_the_board(store, [100_000] * 5)
    awarded = [
        put("bid", bid(f"b{n}", f"o{n}", amount_fen=400_000 + n, days=10 + n, status="awarded"))
        for n in range(5)
    ]
    apply_page(store, page(*awarded, cursor="c2"))
    median = dispute_facts.category_median(store, "design")
    assert median is not None and median.value == 400_002 and "5 accepted bids" in median.described
    assert dispute_facts.typical_days(store, "design").value == 12
    assert [
        w.code for w in dispute_facts.at_bidding(store, order_id="o0", amount_fen=90_000, days=5)
    ] == ["days_too_few"]


def test_too_few_accepted_bids_fall_back_to_the_rule_of_thumb(store: sqlite3.Connection) -> None:
    typical = dispute_facts.typical_days(store, "development")
    assert (typical.value, typical.described) == (14, "a typical 开发 order")
    assert dispute_facts.at_bidding(store, order_id="unknown", amount_fen=1, days=1) == []


def test_the_freelancer_comes_from_their_profile(store: sqlite3.Connection) -> None:
    apply_page(
        store,
        page(put("order", order("o1")), put("bid", bid("b1", "o1", "f1", amount_fen=500_000))),
    )
    assert dispute_facts.at_award(store, bid_id="b1", now=NOW) == []  # no profile: nothing known
    profile = {
        "user_id": "f1",
        "name": "新人",
        "verified": False,
        "joined_at": "2026-11-20T00:00:00Z",
        "dispute_count": 1,
    }
    profile_cache.remember(store, profile, now=NOW)
    found = dispute_facts.at_award(store, bid_id="b1", now=NOW)
    assert [w.code for w in found] == ["freelancer_has_disputes", "new_unverified_large_order"]
    assert found[0].reason.startswith("新人 has had 1 dispute(s)")
