"""Autobid rules (store/autobid.py): a rules file is read with every mistake named by rule
and field; the plan bids on what each rule's saved search finds — the amount from the budget,
the message filled in — skipping orders of one's own, already bid on, or paying too little,
and stops at the caps, counting the bids already placed today."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.autobid import plan, read_rules
from jiedan_cli.store.watches import add_watch
from tests.store.factories import bid, order, page, put

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
RULE = {"watch": "logos", "amount": "budget_max", "factor": 0.9, "days": 5}


@pytest.mark.parametrize(
    ("document", "said"),
    [
        ({}, "no [[rule]]"),
        ({"rule": [{**RULE, "colour": "red"}]}, "rule 1: unknown key 'colour'"),
        ({"rule": [{**RULE, "amount": "all of it"}]}, "rule 1: amount: one of"),
        ({"rule": [RULE, {**RULE, "factor": 3}]}, "rule 2: factor"),
        ({"rule": [{**RULE, "days": 0}]}, "rule 1: days"),
        ({"rule": [{**RULE, "min_budget": "much"}]}, "rule 1: min_budget"),
        ({"rule": [RULE], "max_bids_per_day": 0}, "max_bids_per_day"),
    ],
)
def test_a_bad_rules_file_is_explained(document: dict[str, Any], said: str) -> None:
    with pytest.raises(InvalidInput, match=said.replace("[", r"\[")):
        read_rules(document)


def _market(store: sqlite3.Connection) -> None:
    logos = [
        order("o1", "咖啡店 logo", budget_min_fen=50_000, budget_max_fen=100_050,
              created_at="2026-03-19T00:00:00Z"),
        order("o2", "书店 logo", budget_max_fen=200_000, created_at="2026-03-18T00:00:00Z"),
        order("o3", "便宜的 logo", budget_max_fen=30_000, created_at="2026-03-17T00:00:00Z"),
        order("o4", "我自己的 logo", client_id="me", created_at="2026-03-16T00:00:00Z"),
        order("o5", "投过的 logo", created_at="2026-03-15T00:00:00Z"),
    ]  # fmt: skip
    arrived = reversed(logos)  # oldest first, as a sync brings them
    apply_page(store, page(*(put("order", o) for o in arrived), put("bid", bid("b5", "o5"))))
    add_watch(store, "logos", query="logo")


def test_the_plan_bids_on_what_the_watch_finds_within_the_rules(
    store: sqlite3.Connection,
) -> None:
    _market(store)
    rules, cap = read_rules(
        {"rule": [{**RULE, "min_budget": 500, "message": "$title：$days 天，¥$amount"}]}
    )
    planned = plan(store, rules, cap, now=NOW)
    assert [(p["order_id"], p["amount_fen"]) for p in planned] == [("o1", 90_000), ("o2", 180_000)]
    assert planned[0]["message"] == "咖啡店 logo：5 天，¥900.00"  # 90% of ¥1000.50, whole yuan


def test_the_caps_count_todays_bids(store: sqlite3.Connection) -> None:
    _market(store)
    one_a_day = read_rules({"rule": [{**RULE, "max_per_day": 1}]})
    assert [p["order_id"] for p in plan(store, *one_a_day, now=NOW)] == ["o1"]
    apply_page(store, page(put("bid", bid("b1", "o1", created_at="2026-03-20T08:00:00Z"))))
    assert plan(store, *one_a_day, now=NOW) == []  # today's bid on o1 used the rule's one
    two_in_all = read_rules({"rule": [RULE], "max_bids_per_day": 2})
    assert [p["order_id"] for p in plan(store, *two_in_all, now=NOW)] == ["o2"]
