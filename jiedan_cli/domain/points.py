"""Points (积分): how many are earned for what (money.md, the seed 2.3)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from jiedan_cli.domain.errors import Conflict, InvalidInput

POINTS_FOR_REVIEW = 10
CHECKIN_BASE = 5
CHECKIN_STREAK_BONUS = 1  # per consecutive day, capped
CHECKIN_STREAK_CAP = 10


def points_for_completion(amount_fen: int, multiplier: int = 1) -> int:
    """1 point per ¥10 of a completed order."""
    return (amount_fen // 1_000) * multiplier


def points_for_checkin(streak_days: int, multiplier: int = 1) -> int:
    bonus = min(max(streak_days - 1, 0), CHECKIN_STREAK_CAP) * CHECKIN_STREAK_BONUS
    return (CHECKIN_BASE + bonus) * multiplier


# ---- daily check-in (签到) ------------------------------------------------------------------

CHINA = timezone(timedelta(hours=8))  # the marketplace's calendar: a day is a day in China
CHECKIN_LATE_DAYS = 1  # an offline check-in may reach the server the day after
_CHECKIN_IDS = uuid.UUID("6f1b3c1e-8f55-4f4e-9d0b-7a0c3f3e2a10")


def checkin_day(moment: datetime) -> date:
    """The calendar day (China time) a check-in at `moment` counts for."""
    return moment.astimezone(CHINA).date()


def checkin_entry_id(user_id: str, day: date) -> str:
    """The points entry of `user_id`'s check-in on `day`: one id a day, so checking in twice,
    from two devices or a retried sync, adds the points once."""
    return str(uuid.uuid5(_CHECKIN_IDS, f"{user_id}/{day.isoformat()}"))


def check_checkin_day(day: date, today: date) -> date:
    """A check-in counts for today, or for yesterday when it was made offline then."""
    if day > today:
        raise InvalidInput(f"day: {day} is after today ({today})", field="day")
    if day < today - timedelta(days=CHECKIN_LATE_DAYS):
        raise Conflict(f"a check-in for {day} is too late to count", code="checkin_too_late")
    return day


def checkin_streak(day: date, checked_in: Callable[[date], bool]) -> int:
    """Days in a row ending with `day` (counted as checked in), up to the bonus's cap + 1:
    the streak `points_for_checkin` pays for."""
    streak = 1
    while streak <= CHECKIN_STREAK_CAP and checked_in(day - timedelta(days=streak)):
        streak += 1
    return streak


# ---- redeeming points (兑换: a fee coupon, or cash) --------------------------------------------

# The published rate: 100 points are ¥1, as a fee coupon or as cash (money.md: "at a
# published rate"). The least one redemption takes, and the most.
REDEEM_FEN_PER_POINT = 1
REDEEM_MIN_POINTS = 100
REDEEM_MAX_POINTS = 1_000_000
REDEEM_KINDS = ("coupon", "cash")


def check_redemption(kind: str, points: int) -> int:
    """The fen `points` redeem for as `kind`; InvalidInput naming the field otherwise."""
    if kind not in REDEEM_KINDS:
        raise InvalidInput("kind: coupon or cash", field="kind")
    if isinstance(points, bool) or not isinstance(points, int):
        raise InvalidInput("points: a whole number", field="points")
    if not REDEEM_MIN_POINTS <= points <= REDEEM_MAX_POINTS:
        raise InvalidInput(
            f"points: {REDEEM_MIN_POINTS:,} to {REDEEM_MAX_POINTS:,} at a time", field="points"
        )
    return points * REDEEM_FEN_PER_POINT


def apply_coupons(fee_fen: int, coupons_fen: list[int]) -> list[int]:
    """How much of each coupon (oldest first) a fee of `fee_fen` uses: the fee is covered
    coupon by coupon until it is zero; what a coupon has left stays for the next release."""
    used: list[int] = []
    left = max(fee_fen, 0)
    for remaining in coupons_fen:
        take = min(left, max(remaining, 0))
        used.append(take)
        left -= take
    return used
