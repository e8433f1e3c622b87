"""The facts of the dispute-risk warnings (纠纷预警, domain/dispute_warnings.py), read from the
local replica, so that `client post`, `bid create`, `client award` and the dashboard's forms
warn alike, offline too. What the replica holds is what this user may see:

- what clients accept in a category: the awarded bids the replica knows (the user's own
  orders' and their own awarded bids) when at least ENOUGH of them; else the budgets of the
  open orders of the category on the board (what other clients offer); else nothing;
- the days similar orders take: those awarded bids' days, else the shipped rule of thumb
  (requirements.json "typical_days");
- the freelancer of an award: their public profile as pulled or last fetched (dispute count,
  real-name verification, when they joined), else nothing."""

from __future__ import annotations

import json
import sqlite3
import statistics
from datetime import date, datetime
from typing import Any

from jiedan_cli.domain import dispute_warnings as rules
from jiedan_cli.domain.categories import label_for
from jiedan_cli.domain.dispute_warnings import DisputeWarning, Freelancer, Typical
from jiedan_cli.domain.timefmt import parse_rfc3339
from jiedan_cli.store import queries
from jiedan_cli.store.state import current_user_id

ENOUGH = 5  # cases a median is drawn from, at least
RECENT = 500  # the most recent open orders of a category looked at


def _awarded(conn: sqlite3.Connection, category: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT b.data FROM bids b JOIN orders o ON o.id = b.order_id"
        " WHERE b.status = 'awarded' AND o.category = ?",
        (category,),
    ).fetchall()
    return [json.loads(row[0]) for row in rows]


def category_median(conn: sqlite3.Connection, category: str) -> Typical | None:
    label = label_for(category)
    accepted = [bid["amount_fen"] for bid in _awarded(conn, category)]
    if len(accepted) >= ENOUGH:
        return Typical(
            int(statistics.median(accepted)),
            f"the median of {len(accepted)} accepted bids on {label} orders",
        )
    me = current_user_id(conn) or ""
    offered = [
        row[0]
        for row in conn.execute(
            "SELECT budget_max_fen FROM orders WHERE category = ? AND status = 'open'"
            " AND budget_max_fen IS NOT NULL AND coalesce(client_id, '') != ?"
            " ORDER BY created_at DESC LIMIT ?",
            (category, me, RECENT),
        )
    ]
    if len(offered) >= ENOUGH:
        return Typical(
            int(statistics.median(offered)),
            f"the median budget of {len(offered)} open {label} orders on the board",
        )
    return None


def typical_days(conn: sqlite3.Connection, category: str) -> Typical:
    from jiedan_cli.domain.requirements import dictionaries

    label = label_for(category)
    days = [bid["days"] for bid in _awarded(conn, category)]
    if len(days) >= ENOUGH:
        return Typical(
            int(statistics.median(days)), f"the median of {len(days)} accepted {label} bids"
        )
    rule_of_thumb = dictionaries()["typical_days"]
    return Typical(int(rule_of_thumb.get(category, 1)), f"a typical {label} order")


def freelancer(conn: sqlite3.Connection, user_id: str | None) -> Freelancer | None:
    return freelancer_of(queries.get_profile(conn, user_id) if user_id else None, user_id)


def freelancer_of(profile: dict[str, Any] | None, user_id: Any) -> Freelancer | None:
    """The award's facts from a public profile (None: nothing known)."""
    if profile is None:
        return None
    joined = profile.get("joined_at")
    return Freelancer(
        name=str(profile.get("name") or user_id),
        dispute_count=profile.get("dispute_count"),
        verified=profile.get("verified"),
        joined_at=parse_rfc3339(joined) if isinstance(joined, str) else None,
    )


# ---- per move: what the command line and the dashboard call ------------------------------------


def at_posting(
    conn: sqlite3.Connection,
    *,
    description: str,
    category: str,
    budget_max_fen: int,
    deadline: date | str | None,
) -> list[DisputeWarning]:
    """Before post_order checks the terms: a category or deadline it will refuse gives no
    warning of its own here."""
    from jiedan_cli.domain.categories import check_category
    from jiedan_cli.domain.errors import InvalidInput

    try:
        slug = check_category(category)
        when = date.fromisoformat(deadline) if isinstance(deadline, str) else deadline
    except (InvalidInput, ValueError):
        return []
    return rules.at_posting(
        description=description,
        budget_max_fen=budget_max_fen,
        deadline=when,
        category_median=category_median(conn, slug),
    )


def at_bidding(
    conn: sqlite3.Connection, *, order_id: str, amount_fen: int, days: int
) -> list[DisputeWarning]:
    order = queries.get_order(conn, order_id)
    if order is None:  # not in the replica: the server decides, nothing to weigh here
        return []
    return rules.at_bidding(
        amount_fen=amount_fen,
        days=days,
        budget_min_fen=order.get("budget_min_fen"),
        typical_days=typical_days(conn, str(order.get("category") or "other")),
    )


def at_award(conn: sqlite3.Connection, *, bid_id: str, now: datetime) -> list[DisputeWarning]:
    bid = queries.get_bid(conn, bid_id)
    if bid is None:
        return []
    return rules.at_award(
        freelancer=freelancer(conn, bid.get("freelancer_id")),
        amount_fen=int(bid.get("amount_fen") or 0),
        now=now,
    )
