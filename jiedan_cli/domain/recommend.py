"""Which open orders suit a freelancer (`jiedan orders recommend`): a score from their skills,
their history (categories they have won work or bid in, how they were rated there, what they
are usually paid, how fast they bid), where they are (more for local services: 家政, 维修),
the time of day (the seed's 场景化推荐), their tier (优先派单 on larger orders), a newcomer's
boost, and how fresh and uncrowded an order is — each point with the reason a person would
give for it. What is not known (no rating yet, too few bids to tell a speed) gives no reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from jiedan_cli.domain.categories import CATEGORIES
from jiedan_cli.domain.geo import haversine_km
from jiedan_cli.domain.tiers import tier_label, tier_rank

SKILL, WORKED, BID, NEAR, FRESH, FEW_BIDS = 3, 2, 1, 2, 1, 1  # points for each reason
NEAR_LOCAL = 4  # a local service within its area: the place is the work
RATED, QUICK, PRICE_FIT, MOMENT, NEWCOMER = 2, 2, 2, 1, 2
FRESH_FOR = timedelta(days=3)
FEW = 3  # bids, below which an order is still uncrowded
LOCAL_SERVICES = frozenset({"housekeeping", "repair"})
WELL_RATED, RATINGS_NEEDED = 4.5, 2  # average stars, and reviews in the category
LARGE_FEN = 300_000  # a budget reaching ¥3,000: where clients weigh tiers
SMALL_FEN = 100_000  # a budget up to ¥1,000: a first order a newcomer can win
NEWCOMER_FOR = timedelta(days=30)
QUICK_AT_LEAST = timedelta(minutes=30)  # an order this young is fresh for anyone quick
CHINA = timezone(timedelta(hours=8), "CST")  # the marketplace's clock: no daylight saving

# 场景化推荐: (weekdays 0=Monday, hours [from, to), categories, most budget in fen or None, why)
SCENES: tuple[tuple[frozenset[int], range, frozenset[str], int | None, str], ...] = (
    (frozenset(range(5)), range(7, 10), frozenset({"writing", "translation"}), 50_000,
     "morning commute: a quick task for the phone"),
    (frozenset({5, 6}), range(0, 24), frozenset({"housekeeping"}),
     None, "weekend: home services are wanted now"),
    (frozenset(range(5)), range(18, 22), frozenset({"tutoring"}),
     None, "evening: tutoring hours"),
)  # fmt: skip


@dataclass(frozen=True)
class Freelancer:
    """What the score looks at. Everything past skills may be unknown (None or empty)."""

    skills: frozenset[str]
    worked_in: frozenset[str] = frozenset()
    bid_in: frozenset[str] = frozenset()
    location: tuple[float, float] | None = None
    ratings: dict[str, tuple[float, int]] = field(default_factory=dict)  # category → (avg, n)
    response: timedelta | None = None  # typical time from an order's posting to their bid
    paid: tuple[int, int] | None = None  # the range of their accepted bids, fen
    tier: str = "regular"
    newcomer_until: datetime | None = None  # no completed order yet: boosted until then


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    text: str


def explain(order: dict[str, Any], me: Freelancer, *, now: datetime) -> list[Reason]:
    """Each reason the order suits `me`, with its points; none when nothing fits."""
    category = str(order.get("category") or "")
    reasons = [*_skills(order, me), *_history(category, me)]
    reasons += _place(order, me, category)
    reasons += _price(order, me) + _speed(order, me, now) + _moment(order, category, now)
    reasons += _tier(order, me) + _newcomer(order, me, now)
    created = _moment_of(order.get("created_at"))
    if created is not None and now - created <= FRESH_FOR:
        reasons.append(Reason("fresh", FRESH, "posted in the last 3 days"))
    if int(order.get("bid_count") or 0) < FEW:
        reasons.append(Reason("few_bids", FEW_BIDS, "few bids yet"))
    return reasons


def score(order: dict[str, Any], me: Freelancer, *, now: datetime) -> tuple[int, list[str]]:
    """(score, reasons) of one open order for `me`; 0 and no reason when nothing fits."""
    reasons = explain(order, me, now=now)
    return sum(r.points for r in reasons), [r.text for r in reasons]


def _skills(order: dict[str, Any], me: Freelancer) -> list[Reason]:
    text = " ".join([order.get("title") or "", *(order.get("tags") or [])]).lower()
    matched = sorted(skill for skill in me.skills if skill and skill.lower() in text)
    if not matched:
        return []
    plural = "s" if len(matched) > 1 else ""
    return [
        Reason("skill", SKILL * len(matched), f"matches your skill{plural} {', '.join(matched)}")
    ]


def _history(category: str, me: Freelancer) -> list[Reason]:
    label = CATEGORIES.get(category, category)
    found = []
    if category in me.worked_in:
        found.append(Reason("worked", WORKED, f"you have won {label} work before"))
    elif category in me.bid_in:
        found.append(Reason("bid", BID, f"you bid on {label} orders"))
    average, count = me.ratings.get(category, (0.0, 0))
    if count >= RATINGS_NEEDED and average >= WELL_RATED:
        text = f"clients rated your {label} work {average:.1f}★ ({count} reviews)"
        found.append(Reason("rating", RATED, text))
    return found


def _place(order: dict[str, Any], me: Freelancer, category: str) -> list[Reason]:
    place = order.get("location")
    if not place or me.location is None:
        return []
    km = haversine_km(me.location[0], me.location[1], place["lat"], place["lon"])
    if km > float(place.get("radius_km") or 0):
        return []
    if category in LOCAL_SERVICES:
        label = CATEGORIES.get(category, category)
        return [Reason("near", NEAR_LOCAL, f"{km:.0f} km from you: {label} is done on site")]
    return [Reason("near", NEAR, f"{km:.0f} km from you, within its area")]


def _price(order: dict[str, Any], me: Freelancer) -> list[Reason]:
    low, high = order.get("budget_min_fen"), order.get("budget_max_fen")
    if me.paid is None or low is None or high is None:
        return []
    paid_low, paid_high = me.paid
    if high < paid_low or low > paid_high:
        return []
    text = f"budget fits the ¥{paid_low // 100:,}–{paid_high // 100:,} clients accepted from you"
    return [Reason("price_fit", PRICE_FIT, text)]


def _speed(order: dict[str, Any], me: Freelancer, now: datetime) -> list[Reason]:
    created = _moment_of(order.get("created_at"))
    if me.response is None or created is None or me.response > timedelta(days=1):
        return []
    age = now - created
    if age < timedelta(0) or age > max(2 * me.response, QUICK_AT_LEAST):
        return []
    text = f"posted {_span(age)} ago; you usually bid within {_span(me.response)}"
    return [Reason("response", QUICK, text)]


def _moment(order: dict[str, Any], category: str, now: datetime) -> list[Reason]:
    local = now.astimezone(CHINA)
    top = order.get("budget_max_fen")
    for days, hours, categories, most, why in SCENES:
        now_and_here = local.weekday() in days and local.hour in hours and category in categories
        if now_and_here and (most is None or (top is not None and top <= most)):
            return [Reason("time_of_day", MOMENT, why)]
    return []


def _tier(order: dict[str, Any], me: Freelancer) -> list[Reason]:
    points = tier_rank(me.tier)  # 银牌 1 … 钻石 3
    if not points or int(order.get("budget_max_fen") or 0) < LARGE_FEN:
        return []
    text = f"priority for {tier_label(me.tier)} members on larger orders"
    return [Reason("tier", points, text)]


def _newcomer(order: dict[str, Any], me: Freelancer, now: datetime) -> list[Reason]:
    if me.newcomer_until is None or now >= me.newcomer_until:
        return []
    small = int(order.get("budget_max_fen") or 0) <= SMALL_FEN
    if not small or int(order.get("bid_count") or 0) >= FEW:
        return []
    until = me.newcomer_until.astimezone(CHINA).date().isoformat()
    text = f"newcomer boost (until {until}): a small order with few bids, to win your first"
    return [Reason("newcomer", NEWCOMER, text)]


def _span(span: timedelta) -> str:
    minutes = max(1, round(span.total_seconds() / 60))
    return f"{minutes} min" if minutes < 90 else f"{minutes / 60:.0f} h"


def _moment_of(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
