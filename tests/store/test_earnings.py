"""Earnings, points and tier computed from the replica (store/earnings.py), and the exports
(store/ledger_export.py): the journal balances whatever lines it is given."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiedan_cli.domain.errors import Unauthenticated
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.earnings import (
    earnings_by_month,
    earnings_summary,
    ledger_entries,
    points_balance,
    points_history,
)
from jiedan_cli.store.ledger_export import as_csv, as_journal, postings
from tests.cli.journal import parse_journal
from tests.store.factories import order, page, put

AVAILABLE = "freelancer:me:available"


def entry(
    entry_id: str, amount_fen: int, kind: str = "release", fee_fen: int = 0, **fields: Any
) -> dict[str, Any]:
    data = {
        "id": entry_id,
        "transfer_id": entry_id.rsplit(":", 1)[0],
        "order_id": fields.pop("order_id", "o1"),
        "kind": kind,
        "amount_fen": amount_fen,
        "fee_fen": fee_fen,
        "currency": "CNY",
        "account": AVAILABLE,
        "created_at": fields.pop("created_at", "2026-03-01T10:00:00Z"),
    }
    return {**data, **fields}


def milestone(milestone_id: str, order_id: str, amount_fen: int, status: str) -> dict[str, Any]:
    return {
        "id": milestone_id,
        "order_id": order_id,
        "amount_fen": amount_fen,
        "status": status,
        "created_at": "2026-03-01T09:00:00Z",
    }


def test_the_summary_adds_up_payouts_fees_withdrawals_and_escrow(
    store: sqlite3.Connection,
) -> None:
    apply_page(
        store,
        page(
            put("order", order("o1", status="completed", freelancer_id="me")),
            put("order", order("o2", status="completed", freelancer_id="me")),
            put("order", order("o3", status="in_progress", freelancer_id="me")),
            put("order", order("o4", status="in_progress", freelancer_id="someone-else")),
            put("milestone", milestone("m3", "o3", 70_000, "funded")),
            put("milestone", milestone("m4", "o4", 90_000, "funded")),
            put("ledger_entry", entry("release:m1:cr", 80_000, order_id="o1")),
            put("ledger_entry", entry("release:m2:cr", 45_000, fee_fen=5_000, order_id="o2")),
            put("ledger_entry", entry("withdraw:p1:dr", -30_000, kind="withdraw", order_id=None)),
        ),
    )
    assert earnings_summary(store) == {
        "available_fen": 95_000,
        "pending_fen": 70_000,  # o4's escrow is not for me
        "lifetime_fen": 125_000,
        "fees_fen": 5_000,
        "currency": "CNY",
    }


def test_ledger_since_a_day_and_oldest_first(store: sqlite3.Connection) -> None:
    apply_page(
        store,
        page(
            put("ledger_entry", entry("release:b:cr", 2, created_at="2026-03-02T00:00:00Z")),
            put("ledger_entry", entry("release:a:cr", 1, created_at="2026-03-01T23:59:59Z")),
        ),
    )
    assert [e["amount_fen"] for e in ledger_entries(store)] == [1, 2]
    assert [e["amount_fen"] for e in ledger_entries(store, since=date(2026, 3, 2))] == [2]


def test_earnings_by_month_counts_payouts_only_and_fills_empty_months(
    store: sqlite3.Connection,
) -> None:
    apply_page(
        store,
        page(
            put("ledger_entry", entry("release:a:cr", 100, created_at="2025-11-02T00:00:00Z")),
            put("ledger_entry", entry("release:b:cr", 20, created_at="2025-11-30T23:00:00Z")),
            put(
                "ledger_entry",
                entry("withdraw:p:dr", -50, kind="withdraw", created_at="2025-12-01T00:00:00Z"),
            ),
            put(
                "ledger_entry",
                entry("resolve:c:cr", 300, kind="resolve", created_at="2026-01-09T00:00:00Z"),
            ),
            put(
                "ledger_entry",
                entry(
                    "refund:d:cr",
                    900,
                    kind="refund",
                    account="client:me:wallet",
                    created_at="2026-02-10T00:00:00Z",
                ),
            ),
        ),
    )
    assert earnings_by_month(store) == [("2025-11", 120), ("2025-12", 0), ("2026-01", 300)]
    assert earnings_by_month(store, months=2) == [("2025-12", 0), ("2026-01", 300)]


def test_points_balance_and_tier_come_from_the_replica(store: sqlite3.Connection) -> None:
    points = [
        {"id": f"p{n}", "amount": n * 10, "kind": "completion", "order_id": None} for n in (1, 2, 3)
    ]
    payouts = [
        entry(f"release:m{n}:cr", 180_000, fee_fen=20_000, order_id=f"o{n}") for n in range(5)
    ]
    apply_page(
        store,
        page(
            *(put("points_entry", {**p, "created_at": "2026-03-01T10:00:00Z"}) for p in points),
            *(put("ledger_entry", e) for e in payouts),
        ),
    )
    assert [e["id"] for e in points_history(store)] == ["p3", "p2", "p1"]
    # 5 orders, ¥10,000 gross (fees included) → silver, as the server's rule says
    result = points_balance(store, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert (result["balance"], result["tier"], result["tier_label"]) == (60, "silver", "银牌")
    assert result["progress"]["volume_fen"] == 1_000_000
    # a year later those payouts no longer count
    later = points_balance(store, now=datetime(2027, 6, 1, tzinfo=UTC))
    assert later["tier"] == "regular"


def test_before_sign_in_there_is_nothing_to_show(tmp_path: Any) -> None:
    from jiedan_cli.store.db import open_db

    conn = open_db(tmp_path / "fresh.db")
    with pytest.raises(Unauthenticated):
        earnings_summary(conn)


def test_csv_has_a_header_and_one_row_per_line() -> None:
    text = as_csv([entry("release:m1:cr", 45_000, fee_fen=5_000)])
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert (row["amount_fen"], row["fee_fen"], row["amount_yuan"]) == ("45000", "5000", "450.00")


def test_a_payout_books_gross_income_less_the_fee() -> None:
    assert postings(entry("release:m1:cr", 45_000, fee_fen=5_000)) == [
        ("assets:jiedan:available", 45_000),
        ("expenses:jiedan:fees", 5_000),
        ("income:jiedan", -50_000),
    ]
    assert postings(entry("withdraw:p:dr", -100, kind="withdraw")) == [
        ("assets:jiedan:available", -100),
        ("assets:bank", 100),
    ]


lines = st.lists(
    st.builds(
        lambda n, amount, kind, fee, day: entry(
            f"t{n}:cr",
            amount if kind != "withdraw" else -amount,
            kind=kind,
            fee_fen=fee if kind in ("release", "resolve") else 0,
            created_at=f"2026-03-{day:02d}T08:00:00Z",
        ),
        st.integers(0, 10**6),
        st.integers(1, 10**10),
        st.sampled_from(["release", "resolve", "withdraw", "promotion", "something_new"]),
        st.integers(0, 10**9),
        st.integers(1, 28),
    ),
    max_size=20,
    unique_by=lambda e: e["id"],
)


@given(lines)
def test_every_journal_transaction_balances(entries: list[dict[str, Any]]) -> None:
    transactions = parse_journal(as_journal(entries))
    assert len(transactions) == len(entries)
    for booked in transactions:
        assert sum(booked.values()) == 0
    available = sum(t.get("assets:jiedan:available", 0) for t in transactions)
    assert available == sum(e["amount_fen"] for e in entries)


def test_the_streak_calendar_is_four_weeks_monday_first_on_chinas_day(
    store: sqlite3.Connection,
) -> None:
    from jiedan_cli.domain.points import checkin_entry_id
    from jiedan_cli.store.earnings import checkin_calendar
    from jiedan_cli.store.outbox import enqueue

    me = "me"  # the store fixture's user
    pulled = [date(2026, 3, 2), date(2026, 3, 18)]
    entries = [
        {"id": checkin_entry_id(me, day), "amount": 5, "kind": "checkin", "order_id": None,
         "created_at": f"{day.isoformat()}T01:00:00Z"}
        for day in pulled
    ]  # fmt: skip
    apply_page(store, page(*(put("points_entry", e) for e in entries), cursor="cal"))
    enqueue(store, "check_in", {"day": "2026-03-19"}, "points_entry", "q1")
    # 23:30 UTC on Thursday the 19th is already Friday the 20th in China
    grid = checkin_calendar(store, now=datetime(2026, 3, 19, 23, 30, tzinfo=UTC))
    assert [week[0]["day"] for week in grid] == ["2026-02-23", "2026-03-02", "2026-03-09",
                                                 "2026-03-16"]  # fmt: skip
    checked = [d["day"] for week in grid for d in week if d["checked_in"]]
    assert checked == ["2026-03-02", "2026-03-18", "2026-03-19"]  # pulled, pulled, queued
    assert [d["future"] for d in grid[-1]] == [False] * 5 + [True] * 2
