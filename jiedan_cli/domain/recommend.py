"""Which open orders suit a freelancer (`jiedan orders recommend`): a score from their skills,
their history (categories they have won work or bid in), where they are, and how fresh and
uncrowded an order is — each point with the reason a person would give for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jiedan_cli.domain.categories import CATEGORIES
from jiedan_cli.domain.geo import haversine_km

SKILL, WORKED, BID, NEAR, FRESH, FEW_BIDS = 3, 2, 1, 2, 1, 1  # points for each reason
FRESH_FOR = timedelta(days=3)
FEW = 3  # bids, below which an order is still uncrowded


@dataclass(frozen=True)
class Freelancer:
    """What the score looks at: skills, categories worked and bid in, location."""

    skills: frozenset[str]
    worked_in: frozenset[str] = frozenset()
    bid_in: frozenset[str] = frozenset()
    location: tuple[float, float] | None = None


def score(order: dict[str, Any], me: Freelancer, *, now: datetime) -> tuple[int, list[str]]:
    """(score, reasons) of one open order for `me`; 0 and no reason when nothing fits."""
    points, reasons = 0, []
    text = " ".join([order.get("title") or "", *(order.get("tags") or [])]).lower()
    matched = sorted(skill for skill in me.skills if skill and skill.lower() in text)
    if matched:
        points += SKILL * len(matched)
        reasons.append(f"matches your skill{'s' if len(matched) > 1 else ''} {', '.join(matched)}")
    category = str(order.get("category") or "")
    label = CATEGORIES.get(category, category)
    if category in me.worked_in:
        points += WORKED
        reasons.append(f"you have won {label} work before")
    elif category in me.bid_in:
        points += BID
        reasons.append(f"you bid on {label} orders")
    place = order.get("location")
    if place and me.location is not None:
        km = haversine_km(me.location[0], me.location[1], place["lat"], place["lon"])
        if km <= float(place.get("radius_km") or 0):
            points += NEAR
            reasons.append(f"{km:.0f} km from you, within its area")
    created = _moment(order.get("created_at"))
    if created is not None and now - created <= FRESH_FOR:
        points += FRESH
        reasons.append("posted in the last 3 days")
    if int(order.get("bid_count") or 0) < FEW:
        points += FEW_BIDS
        reasons.append("few bids yet")
    return points, reasons


def _moment(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
