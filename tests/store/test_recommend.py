"""Recommended orders from the replica (domain/recommend.py, store/recommend.py): a skill in
the title or tags, the categories of work won or bid on, an order's area around the
freelancer, freshness and few bids each add their points and say why; orders of one's own or
already bid on are left out; best first, newest first among equals."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jiedan_cli.domain.errors import Unauthenticated
from jiedan_cli.domain.recommend import Freelancer, explain, score
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.store.recommend import recommend_orders
from tests.store.factories import bid, order, page, put

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
SHANGHAI = {"lat": 31.23, "lon": 121.47, "radius_km": 20}


def test_each_reason_adds_its_points() -> None:
    me = Freelancer(
        skills=frozenset({"Logo", "UI设计"}),
        worked_in=frozenset({"design"}),
        location=(31.2, 121.5),
    )
    fits = order(
        "o1", "咖啡店 LOGO 设计", category="design", tags=["UI设计"], location=SHANGHAI,
        created_at="2026-03-19T00:00:00Z", bid_count=1,
    )  # fmt: skip
    points, reasons = score(fits, me, now=NOW)
    assert points == 3 * 2 + 2 + 2 + 1 + 1
    assert reasons == [
        "matches your skills Logo, UI设计",
        "you have won 设计 work before",
        "4 km from you, within its area",
        "posted in the last 3 days",
        "few bids yet",
    ]
    crowded = order(
        "o2", "写作", category="writing", created_at="2026-01-01T00:00:00Z", bid_count=9
    )
    assert score(crowded, me, now=NOW) == (0, [])
    far = order(
        "o3", "上门", category="repair", location={"lat": 39.9, "lon": 116.4, "radius_km": 10}
    )
    assert "km from you" not in " ".join(score(far, me, now=NOW)[1])


def test_the_replica_ranks_open_orders_for_me(store: sqlite3.Connection) -> None:
    profile = {"id": "me", "user_id": "me", "skills": ["logo"], "lat": 31.2, "lon": 121.5}
    orders = [
        order("o1", "logo 设计", category="design", created_at="2026-03-01T00:00:00Z"),
        order("o2", "另一个 logo", category="design", created_at="2026-03-02T00:00:00Z"),
        order("o3", "翻译", category="translation", created_at="2026-03-03T00:00:00Z"),
        order("o4", "我自己的 logo", client_id="me"),
        order("o5", "已投标的 logo"),
        order("o6", "做过的", category="design", status="completed", freelancer_id="me"),
    ]
    apply_page(
        store,
        page(
            *(put("order", o) for o in orders), put("bid", bid("b5", "o5")), put("profile", profile)
        ),
    )
    found = recommend_orders(store, limit=10, now=NOW)
    assert [o["id"] for o in found] == ["o2", "o1", "o3"]  # the tie: newest first
    assert found[0]["reasons"][:2] == ["matches your skill logo", "you have won 设计 work before"]
    assert [o["id"] for o in recommend_orders(store, limit=1, now=NOW)] == ["o2"]


def test_recommendations_need_a_signed_in_user(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "fresh.db")
    with pytest.raises(Unauthenticated):
        recommend_orders(conn)
    conn.close()


# ---- more reasons: each moves an order up, and says so ------------------------------------

FRIDAY_EVENING = NOW  # 2026-03-20 12:00 UTC is a Friday, 20:00 in China
SATURDAY = datetime(2026, 3, 21, 3, tzinfo=UTC)  # 11:00 in China
MONDAY_MORNING = datetime(2026, 3, 23, 0, 30, tzinfo=UTC)  # 08:30 in China
NEAR_ME = {"lat": 31.21, "lon": 121.49, "radius_km": 10}
OLD = "2026-01-01T00:00:00Z"  # neither fresh nor quick to answer


def _plain(**fields: Any) -> dict[str, Any]:
    return order("x", "一件工作", category="writing", created_at=OLD, bid_count=5,
                 budget_min_fen=100_000, budget_max_fen=200_000) | fields  # fmt: skip


REASONS = [
    # (code, who, the order with the reason, one without it, when, words shown)
    ("rating", Freelancer(frozenset(), ratings={"design": (4.8, 5)}),
     _plain(category="design"), _plain(category="translation"), NOW, "4.8★ (5 reviews)"),
    ("response", Freelancer(frozenset(), response=timedelta(minutes=45)),
     _plain(created_at="2026-03-20T11:40:00Z"), _plain(created_at="2026-03-20T06:00:00Z"), NOW,
     "posted 20 min ago; you usually bid within 45 min"),
    ("price_fit", Freelancer(frozenset(), paid=(80_000, 150_000)),
     _plain(), _plain(budget_min_fen=500_000, budget_max_fen=900_000), NOW,
     "budget fits the ¥800–1,500 clients accepted from you"),
    ("near", Freelancer(frozenset(), location=(31.2, 121.5)),
     _plain(category="repair", location=NEAR_ME), _plain(category="design", location=NEAR_ME),
     NOW, "1 km from you: 维修 is done on site"),
    ("time_of_day", Freelancer(frozenset()),
     _plain(category="tutoring"), _plain(category="design"), FRIDAY_EVENING,
     "evening: tutoring hours"),
    ("time_of_day", Freelancer(frozenset()),
     _plain(category="housekeeping"), _plain(category="tutoring"), SATURDAY,
     "weekend: home services are wanted now"),
    ("time_of_day", Freelancer(frozenset()),
     _plain(budget_min_fen=20_000, budget_max_fen=40_000), _plain(), MONDAY_MORNING,
     "morning commute: a quick task for the phone"),
    ("tier", Freelancer(frozenset(), tier="gold"),
     _plain(budget_max_fen=500_000), _plain(), NOW, "priority for 金牌 members on larger orders"),
    ("newcomer", Freelancer(frozenset(), newcomer_until=NOW + timedelta(days=10)),
     _plain(budget_min_fen=30_000, budget_max_fen=80_000, bid_count=0), _plain(bid_count=0),
     NOW, "newcomer boost (until 2026-03-30): a small order with few bids, to win your first"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "me", "with_it", "without", "when", "shown"),
    REASONS,
    ids=[f"{case[0]}-{n}" for n, case in enumerate(REASONS)],
)
def test_each_new_reason_moves_an_order_up_and_shows(
    code: str,
    me: Freelancer,
    with_it: dict[str, Any],
    without: dict[str, Any],
    when: datetime,
    shown: str,
) -> None:
    up = {r.code: r for r in explain(with_it, me, now=when)}
    down = {r.code: r for r in explain(without, me, now=when)}
    assert shown in up[code].text
    assert up[code].points > (down[code].points if code in down else 0)
    assert score(with_it, me, now=when)[0] > score(without, me, now=when)[0]
    nobody = Freelancer(frozenset())  # the same orders for someone without the fact
    if code not in ("time_of_day", "near"):
        assert code not in {r.code for r in explain(with_it, nobody, now=when)}


def test_a_newcomer_boost_ends_and_unknown_facts_give_no_reason() -> None:
    small = _plain(budget_max_fen=80_000, bid_count=0)
    ended = Freelancer(frozenset(), newcomer_until=NOW - timedelta(seconds=1))
    assert "newcomer" not in {r.code for r in explain(small, ended, now=NOW)}
    slow = Freelancer(frozenset(), response=timedelta(days=2))  # no speed to speak of
    fresh = _plain(created_at="2026-03-20T11:59:00Z")
    assert "response" not in {r.code for r in explain(fresh, slow, now=NOW)}
    one_review = Freelancer(frozenset(), ratings={"writing": (5.0, 1)})
    assert "rating" not in {r.code for r in explain(_plain(), one_review, now=NOW)}


def _t(minutes: int) -> str:
    return (
        (datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=minutes))
        .isoformat()
        .replace("+00:00", "Z")
    )


def test_the_replica_tells_rating_speed_and_price_from_my_history(
    store: sqlite3.Connection,
) -> None:
    profile = {"id": "me", "user_id": "me", "skills": [], "completed_count": 2,
               "joined_at": "2025-01-01T00:00:00Z"}  # fmt: skip
    done = [
        order(f"d{n}", "设计", category="design", status="completed", freelancer_id="me",
              created_at=_t(100 * n))
        for n in range(3)
    ]  # fmt: skip
    my_bids = [
        bid(f"b{n}", f"d{n}", amount_fen=amount, status="awarded", created_at=_t(100 * n + 30))
        for n, amount in enumerate([80_000, 120_000, 150_000])
    ]
    reviews = [
        {"id": f"r{n}", "order_id": f"d{n}", "author_id": "client-1", "subject_id": "me",
         "stars": 5, "text": "", "created_at": _t(100 * n + 60)}
        for n in range(2)
    ]  # fmt: skip
    open_orders = [
        order("design", "海报", category="design", created_at="2026-03-20T11:40:00Z",
              budget_min_fen=100_000, budget_max_fen=120_000),
        order("other", "文案", category="writing", created_at="2026-03-20T11:50:00Z",
              budget_min_fen=900_000, budget_max_fen=990_000, bid_count=5),
    ]  # fmt: skip
    apply_page(
        store,
        page(
            put("profile", profile),
            *(put("order", o) for o in [*done, *open_orders]),
            *(put("bid", b) for b in my_bids),
            *(put("review", r) for r in reviews),
        ),
    )
    found = recommend_orders(store, limit=5, now=NOW)
    assert [o["id"] for o in found] == ["design", "other"]
    first = found[0]
    assert {"worked", "rating", "response", "price_fit"} <= set(first["reason_points"])
    assert "clients rated your 设计 work 5.0★ (2 reviews)" in first["reasons"]
    assert "posted 20 min ago; you usually bid within 30 min" in first["reasons"]
    assert first["score"] == sum(first["reason_points"].values())


def test_a_newcomer_is_boosted_on_small_orders(store: sqlite3.Connection) -> None:
    profile = {"id": "me", "user_id": "me", "skills": [], "completed_count": 0,
               "joined_at": "2026-03-15T00:00:00Z"}  # fmt: skip
    apply_page(
        store,
        page(
            put("profile", profile),
            put("order", order("big", "网站", budget_max_fen=900_000, created_at=_t(2))),
            put("order", order("small", "网站", budget_max_fen=50_000, created_at=_t(1))),
        ),
    )
    found = recommend_orders(store, limit=5, now=NOW)
    assert [o["id"] for o in found] == ["small", "big"]  # the older one, by its boost
    assert found[0]["reason_points"]["newcomer"] > 0
    assert any("until 2026-04-14" in text for text in found[0]["reasons"])
