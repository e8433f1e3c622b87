"""Automatic bids (`jiedan autobid run --rules FILE.toml`): rules of the form "orders a saved
search finds → an amount worked out from the budget, days, a message", with caps — bids a day
(per rule and in all) and a least budget. This module reads the rules and works out the plan
from the replica; the command places it through store.actions.place_bid, as `bid create` does.

    max_bids_per_day = 10           # all rules together (optional)

    [[rule]]
    watch = "logos"                 # a saved search (`jiedan watch add logos --query logo`)
    amount = "budget_max"           # budget_min, budget_max or budget_mid …
    factor = 0.9                    # … times this, rounded down to whole yuan
    days = 5
    message = "您好，$category 方面我做过很多，$days 天交付。"   # $title $category $days $amount
    min_budget = 800                # yuan: skip orders paying less at most (optional)
    max_per_day = 5                 # this rule's bids a day (optional)
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from string import Template
from typing import Any

from jiedan_cli.domain.categories import CATEGORIES
from jiedan_cli.domain.errors import InvalidInput, Unauthenticated
from jiedan_cli.domain.money import format_yuan, parse_yuan
from jiedan_cli.domain.order_rules import check_bid_terms
from jiedan_cli.store.queries import list_bids
from jiedan_cli.store.state import current_user_id
from jiedan_cli.store.watches import get_watch, matches

BASES = ("budget_min", "budget_max", "budget_mid")


@dataclass(frozen=True)
class Rule:
    number: int  # 1-based, as in the file
    watch: str
    base: str
    factor: float
    days: int
    message: Template
    min_budget_fen: int | None
    max_per_day: int | None

    def amount_fen(self, order: dict[str, Any]) -> int:
        low, high = int(order["budget_min_fen"]), int(order["budget_max_fen"])
        base = {"budget_min": low, "budget_max": high, "budget_mid": (low + high) // 2}
        return max(int(base[self.base] * self.factor) // 100 * 100, 100)


def read_rules(document: dict[str, Any]) -> tuple[list[Rule], int | None]:
    """The rules of a parsed TOML document and the cap on all of them together; InvalidInput
    naming the rule and the field for anything wrong."""
    rules = document.get("rule")
    if not isinstance(rules, list) or not rules:
        raise InvalidInput("rules: no [[rule]] tables in the file", field="rules")
    return [_rule(n, table) for n, table in enumerate(rules, start=1)], _cap(
        document.get("max_bids_per_day"), "max_bids_per_day"
    )


def _rule(number: int, table: Any) -> Rule:
    def bad(what: str) -> InvalidInput:
        return InvalidInput(f"rule {number}: {what}", field="rules")

    if not isinstance(table, dict):
        raise bad("not a table")
    unknown = set(table) - {
        "watch", "amount", "factor", "days", "message", "min_budget", "max_per_day",
    }  # fmt: skip
    if unknown:
        raise bad(f"unknown key {sorted(unknown)[0]!r}")
    watch, base = table.get("watch"), table.get("amount", "budget_max")
    if not isinstance(watch, str) or not watch:
        raise bad("watch: the name of a saved search")
    if base not in BASES:
        raise bad(f"amount: one of {', '.join(BASES)}")
    factor = table.get("factor", 1.0)
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 < factor <= 2:
        raise bad("factor: a number above 0, at most 2")
    days, message = table.get("days"), table.get("message", "")
    if isinstance(days, bool) or not isinstance(days, int):
        raise bad("days: a whole number")
    if not isinstance(message, str):
        raise bad("message: text")
    least = table.get("min_budget")
    try:
        check_bid_terms(100, days, message)
        least_fen = None if least is None else parse_yuan(str(least), field="min_budget")
        cap = _cap(table.get("max_per_day"), "max_per_day")
    except InvalidInput as exc:
        raise bad(exc.message) from None
    return Rule(number, watch, base, float(factor), days, Template(message), least_fen, cap)


def _cap(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{field}: a whole number, 1 or more", field=field)
    return value


def plan(
    conn: sqlite3.Connection,
    rules: list[Rule],
    cap: int | None,
    *,
    now: datetime | None = None,
    stopped: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The bids the rules would place now: {rule, watch, order_id, title, amount_fen, days,
    message}, first rule first, newest order first; one bid an order; caps counted with the
    bids already placed today (queued ones too). `stopped`, given, gets a phrase for each cap
    that held a bid back ("rule 1 (logos) has its max_per_day of 3 today")."""
    said = stopped if stopped is not None else []
    me = current_user_id(conn)
    if me is None:
        raise Unauthenticated("not signed in: run `jiedan auth login` first")
    today = (now or datetime.now(UTC)).date().isoformat()
    bid_today = {
        bid["order_id"]
        for bid in list_bids(conn, freelancer_id=me)
        if str(bid.get("created_at")) >= today
    }
    placed_today = len(bid_today)
    planned: list[dict[str, Any]] = []
    taken: set[str] = set()
    for rule in rules:
        found = matches(conn, get_watch(conn, rule.watch))
        per_rule = sum(1 for order in found if order["id"] in bid_today)  # earlier runs' too
        for order in found:
            if order["id"] in taken or order.get("my_bid") or order.get("client_id") == me:
                continue
            if cap is not None and placed_today + len(planned) >= cap:
                bids = "bid" if placed_today == 1 else "bids"
                said.append(f"max_bids_per_day is {cap} and you placed {placed_today} {bids} today")
                return planned
            if rule.max_per_day is not None and per_rule >= rule.max_per_day:
                said.append(
                    f"rule {rule.number} ({rule.watch}) has its max_per_day of"
                    f" {rule.max_per_day} today (your bids today on what it finds count)"
                )
                break
            if rule.min_budget_fen and int(order["budget_max_fen"]) < rule.min_budget_fen:
                continue
            amount = rule.amount_fen(order)
            words = {
                "title": order.get("title") or "",
                "category": CATEGORIES.get(order.get("category") or "", order.get("category")),
                "days": str(rule.days),
                "amount": format_yuan(amount),
            }
            planned.append(
                {
                    "rule": rule.number,
                    "watch": rule.watch,
                    "order_id": order["id"],
                    "title": order.get("title"),
                    "amount_fen": amount,
                    "days": rule.days,
                    "message": rule.message.safe_substitute(words),
                }
            )
            taken.add(order["id"])
            per_rule += 1
    return planned
