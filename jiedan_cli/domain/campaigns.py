"""Campaigns (活动: 积分翻倍, 周末特惠, 节日专场 — the seed 2.3): a time window in which points
are multiplied, or the commission rate is lowered for one category or for everyone.

A campaign runs from `starts_at` (inclusive) to `ends_at` (exclusive). The fee policy reads
the campaigns running at the release, points those running at the earning event. Campaigns
do not stack: the largest multiplier and the largest discount that apply are taken."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from jiedan_cli.domain.errors import InvalidInput


class CampaignKind(StrEnum):
    POINTS = "points_multiplier"  # 积分翻倍
    FEE = "fee_discount"  # 周末特惠, 节日专场: percentage points off the commission rate


MAX_MULTIPLIER = 10
MAX_LENGTH = timedelta(days=92)  # a campaign is a season at most, not a price change


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    kind: CampaignKind
    multiplier: int  # POINTS: 2..MAX_MULTIPLIER; FEE: 1
    discount_bp: int  # FEE: basis points off the rate, 1..10_000; POINTS: 0
    category: str | None  # FEE: one category, or None for every order
    starts_at: datetime
    ends_at: datetime

    def running(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def check_campaign(campaign: Campaign) -> Campaign:
    """InvalidInput, naming the field, for a campaign that could not run as meant."""
    if not 1 <= len(campaign.name.strip()) <= 60:
        raise InvalidInput("name: 1 to 60 characters", field="name")
    if campaign.ends_at <= campaign.starts_at:
        raise InvalidInput("ends_at: must be after starts_at", field="ends_at")
    if campaign.ends_at - campaign.starts_at > MAX_LENGTH:
        raise InvalidInput(
            f"ends_at: a campaign lasts {MAX_LENGTH.days} days at most", field="ends_at"
        )
    if campaign.kind == CampaignKind.POINTS:
        if not 2 <= campaign.multiplier <= MAX_MULTIPLIER:
            raise InvalidInput(f"multiplier: 2 to {MAX_MULTIPLIER}", field="multiplier")
        if campaign.discount_bp or campaign.category:
            raise InvalidInput("a points campaign has no fee discount or category", field="kind")
    else:
        if not 1 <= campaign.discount_bp <= 10_000:
            raise InvalidInput(
                "discount_bp: 1 to 10000 (basis points off the rate)", field="discount_bp"
            )
        if campaign.multiplier != 1:
            raise InvalidInput("a fee campaign multiplies no points", field="multiplier")
    return campaign


def points_multiplier(campaigns: Iterable[Campaign], now: datetime) -> int:
    """What points earned at `now` are multiplied by (1 when no points campaign runs)."""
    return max(
        (c.multiplier for c in campaigns if c.kind == CampaignKind.POINTS and c.running(now)),
        default=1,
    )


def fee_discount_bp(campaigns: Iterable[Campaign], category: str | None, now: datetime) -> int:
    """Basis points off the commission rate for an order of `category` released at `now`."""
    return max(
        (
            c.discount_bp
            for c in campaigns
            if c.kind == CampaignKind.FEE
            and c.running(now)
            and (c.category is None or c.category == category)
        ),
        default=0,
    )


def urgency(campaign: Campaign, now: datetime) -> str:
    """The campaign's clock as people say it: "ends in 3 h", "ends in 25 min", "ends in 2
    days", "starts in 5 h", "ended"."""
    if now >= campaign.ends_at:
        return "ended"
    if now < campaign.starts_at:
        return f"starts in {_span(campaign.starts_at - now)}"
    return f"ends in {_span(campaign.ends_at - now)}"


def _span(left: timedelta) -> str:
    minutes = max(1, -(-int(left.total_seconds()) // 60))  # rounded up: never "0 min"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    days = minutes // (24 * 60)
    return f"{days} days"


def describe(campaign: Campaign) -> str:
    """What the campaign gives, in a few words: "points ×2", "fee −5% (design)"."""
    if campaign.kind == CampaignKind.POINTS:
        return f"points ×{campaign.multiplier}"
    off = f"{campaign.discount_bp / 100:g}"
    return f"fee −{off}%" + (f" ({campaign.category})" if campaign.category else "")
