"""Points (积分): how many are earned for what (money.md, the seed 2.3)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

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


# ---- expiry (积分过期): first in, first out -----------------------------------------------

DEFAULT_EXPIRY_MONTHS = 24  # JIEDAN_SERVER_POINTS_EXPIRY_MONTHS; 0: points never expire
_EXPIRY_IDS = uuid.UUID("0b6f3a52-3c1d-4a7e-9b57-2f1c9d8e4a61")


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` `months` calendar months later (the day clamped to the month's last)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_first = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_first - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


@dataclass(frozen=True)
class Lot:
    """What is left of one earning entry after the spending before now, oldest spent first."""

    entry_id: str
    created_at: datetime
    remaining: int

    def expires_at(self, months: int) -> datetime:
        return add_months(self.created_at, months)


def points_lots(entries: Iterable[tuple[str, int, datetime]]) -> list[Lot]:
    """The lots still holding points, oldest first: every spending (a redemption, an expiry)
    uses the oldest points first (FIFO). `entries` are (id, amount, created_at); since a
    balance is never negative, spending them in aggregate against the oldest lots is the same
    as spending each at its moment."""
    ordered = sorted(entries, key=lambda e: (e[2], e[0]))
    spent = -sum(amount for _id, amount, _at in ordered if amount < 0)
    lots: list[Lot] = []
    for entry_id, amount, created_at in ordered:
        if amount <= 0:
            continue
        used = min(spent, amount)
        spent -= used
        if amount > used:
            lots.append(Lot(entry_id, created_at, amount - used))
    return lots


def expired_lots(lots: Iterable[Lot], months: int, now: datetime) -> list[Lot]:
    """The lots whose points have expired by `now` (none when `months` is 0)."""
    if months <= 0:
        return []
    return [lot for lot in lots if lot.expires_at(months) <= now]


def expired_entry_id(lot_entry_id: str) -> str:
    """The one `expired` entry of a lot: writing it twice is a no-op."""
    return "expired:" + str(uuid.uuid5(_EXPIRY_IDS, lot_entry_id))


def next_expiry(lots: Iterable[Lot], months: int, now: datetime) -> dict[str, Any] | None:
    """{points, on (China's calendar day), at} of the next points to expire after `now`: the
    lots expiring on the soonest day, together ("120 points expire on 2027-03-01")."""
    if months <= 0:
        return None
    upcoming = sorted(
        (lot.expires_at(months), lot.remaining) for lot in lots if lot.expires_at(months) > now
    )
    if not upcoming:
        return None
    first_day = upcoming[0][0].astimezone(CHINA).date()
    points = sum(n for at, n in upcoming if at.astimezone(CHINA).date() == first_day)
    return {"points": points, "on": first_day.isoformat(), "at": upcoming[0][0]}
