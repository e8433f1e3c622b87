"""Recommended orders from the replica (domain/recommend.py, store/recommend.py): a skill in
the title or tags, the categories of work won or bid on, an order's area around the
freelancer, freshness and few bids each add their points and say why; orders of one's own or
already bid on are left out; best first, newest first among equals."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jiedan_cli.domain.errors import Unauthenticated
from jiedan_cli.domain.recommend import Freelancer, score
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
