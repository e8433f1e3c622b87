"""`jiedan orders recommend` from the replica, offline: the newest open orders scored for the
signed-in freelancer (domain/recommend.py) by their profile's skills and location and by the
categories of the work they won or bid on; orders they posted or already bid on left out."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from jiedan_cli.domain.errors import Unauthenticated
from jiedan_cli.domain.recommend import Freelancer, score
from jiedan_cli.store.queries import get_orders, get_profile, list_bids, list_orders
from jiedan_cli.store.state import current_user_id

CANDIDATES = 2_000  # the newest open orders looked at: a day's worth and more


def me_as_freelancer(conn: sqlite3.Connection, me: str) -> Freelancer:
    profile = get_profile(conn, me) or {}
    located = profile.get("lat") is not None and profile.get("lon") is not None
    bid_on = get_orders(conn, (bid["order_id"] for bid in list_bids(conn, freelancer_id=me)))
    won = list_orders(conn, status="all", mine_user_id=me, limit=1_000)
    return Freelancer(
        skills=frozenset(str(s) for s in profile.get("skills") or []),
        worked_in=frozenset(o["category"] for o in won if o.get("freelancer_id") == me),
        bid_in=frozenset(o["category"] for o in bid_on.values()),
        location=(float(profile["lat"]), float(profile["lon"])) if located else None,
    )


def recommend_orders(
    conn: sqlite3.Connection, *, limit: int = 20, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The best `limit` open orders, each with `score` and `reasons`; best first, newest
    first among equals."""
    me = current_user_id(conn)
    if me is None:
        raise Unauthenticated("not signed in: run `jiedan auth login` first")
    who = me_as_freelancer(conn, me)
    now = now or datetime.now(UTC)
    scored = []
    for order in list_orders(conn, status="open", limit=CANDIDATES):
        if order.get("my_bid") is not None or order.get("client_id") == me:
            continue
        points, reasons = score(order, who, now=now)
        scored.append({**order, "score": points, "reasons": reasons})
    scored.sort(key=lambda o: (o["created_at"] or "", o["id"]), reverse=True)
    scored.sort(key=lambda o: o["score"], reverse=True)  # stable: newest first among equals
    return scored[:limit]
