"""`jiedan orders recommend` from the replica, offline: the newest open orders scored for the
signed-in freelancer (domain/recommend.py) by their profile (skills, location, rating count,
when they joined), the work they won or bid on (categories, how clients rated it, the amounts
accepted, how soon after posting they bid) and their tier; orders they posted or already bid
on left out."""

from __future__ import annotations

import json
import sqlite3
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

from jiedan_cli.domain.errors import Unauthenticated
from jiedan_cli.domain.recommend import NEWCOMER_FOR, Freelancer, explain
from jiedan_cli.domain.tiers import tier_for
from jiedan_cli.store.earnings import completed_volume
from jiedan_cli.store.queries import get_orders, get_profile, list_bids, list_orders
from jiedan_cli.store.state import current_user_id

CANDIDATES = 2_000  # the newest open orders looked at: a day's worth and more
SPEED_SAMPLES = 3  # bids needed before a typical response time is told
PAID_SAMPLES = 2  # accepted bids needed before a usual price is told


def me_as_freelancer(
    conn: sqlite3.Connection, me: str, *, now: datetime | None = None
) -> Freelancer:
    now = now or datetime.now(UTC)
    profile = get_profile(conn, me) or {}
    located = profile.get("lat") is not None and profile.get("lon") is not None
    bids = list_bids(conn, freelancer_id=me)
    bid_on = get_orders(conn, (bid["order_id"] for bid in bids))
    won = list_orders(conn, status="all", mine_user_id=me, limit=1_000)
    return Freelancer(
        skills=frozenset(str(s) for s in profile.get("skills") or []),
        worked_in=frozenset(o["category"] for o in won if o.get("freelancer_id") == me),
        bid_in=frozenset(o["category"] for o in bid_on.values()),
        location=(float(profile["lat"]), float(profile["lon"])) if located else None,
        ratings=_ratings_by_category(conn, me),
        response=_typical_response(bids, bid_on),
        paid=_paid_range(bids),
        tier=str(tier_for(*completed_volume(conn, now=now))),
        newcomer_until=_newcomer_until(conn, profile, now),
    )


def _ratings_by_category(conn: sqlite3.Connection, me: str) -> dict[str, tuple[float, int]]:
    """Category → (average stars, count) of the reviews the replica holds about `me`."""
    rows = conn.execute("SELECT data FROM reviews")
    about_me = [r for r in (json.loads(row[0]) for row in rows) if r.get("subject_id") == me]
    orders = get_orders(conn, (r["order_id"] for r in about_me))
    stars: dict[str, list[int]] = {}
    for review in about_me:
        order = orders.get(review["order_id"])
        if order is not None and review.get("stars") is not None:
            stars.setdefault(str(order.get("category")), []).append(int(review["stars"]))
    return {c: (sum(s) / len(s), len(s)) for c, s in stars.items()}


def _typical_response(
    bids: list[dict[str, Any]], orders: dict[str, dict[str, Any]]
) -> timedelta | None:
    """The median time from an order's posting to `me`'s bid on it (None: too few bids)."""
    spans = []
    for bid in bids:
        order = orders.get(bid["order_id"])
        posted, placed = _time(order and order.get("created_at")), _time(bid.get("created_at"))
        if posted is not None and placed is not None and placed >= posted:
            spans.append((placed - posted).total_seconds())
    return timedelta(seconds=statistics.median(spans)) if len(spans) >= SPEED_SAMPLES else None


def _paid_range(bids: list[dict[str, Any]]) -> tuple[int, int] | None:
    """The lowest and highest amounts clients accepted (awarded bids), fen."""
    amounts = [int(b["amount_fen"]) for b in bids if b.get("status") == "awarded"]
    return (min(amounts), max(amounts)) if len(amounts) >= PAID_SAMPLES else None


def _newcomer_until(
    conn: sqlite3.Connection, profile: dict[str, Any], now: datetime
) -> datetime | None:
    """When the boost of a freelancer with no completed order ends (None: no boost)."""
    joined = _time(profile.get("joined_at"))
    if joined is None or int(profile.get("completed_count") or 0) > 0:
        return None
    if completed_volume(conn, now=now)[1] > 0:  # a payout pulled since the profile was
        return None
    return joined + NEWCOMER_FOR


def _time(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def recommend_orders(
    conn: sqlite3.Connection, *, limit: int = 20, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The best `limit` open orders, each with `score`, `reasons` (what a person reads) and
    `reason_points` (each reason's code and points, for scripts); best first, newest first
    among equals."""
    me = current_user_id(conn)
    if me is None:
        raise Unauthenticated("not signed in: run `jiedan auth login` first")
    now = now or datetime.now(UTC)
    who = me_as_freelancer(conn, me, now=now)
    scored = []
    for order in list_orders(conn, status="open", limit=CANDIDATES):
        if order.get("my_bid") is not None or order.get("client_id") == me:
            continue
        reasons = explain(order, who, now=now)
        scored.append(
            {
                **order,
                "score": sum(r.points for r in reasons),
                "reasons": [r.text for r in reasons],
                "reason_points": {r.code: r.points for r in reasons},
            }
        )
    scored.sort(key=lambda o: (o["created_at"] or "", o["id"]), reverse=True)
    scored.sort(key=lambda o: o["score"], reverse=True)  # stable: newest first among equals
    return scored[:limit]
