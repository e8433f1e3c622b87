"""domain/campaigns.py: the window (start inclusive, end exclusive), no stacking (the largest
applies), category matching, and the urgency words shown to users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jiedan_cli.domain.campaigns import (
    Campaign,
    CampaignKind,
    describe,
    fee_discount_bp,
    points_multiplier,
    urgency,
)
from jiedan_cli.domain.fees import FeePolicy
from jiedan_cli.domain.tiers import Tier

START = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
END = START + timedelta(days=2)
TICK = timedelta(microseconds=1)


def campaign(kind: CampaignKind, **fields: object) -> Campaign:
    values: dict[str, object] = {
        "id": "c",
        "name": "周末特惠",
        "kind": kind,
        "multiplier": 1,
        "discount_bp": 0,
        "category": None,
        "starts_at": START,
        "ends_at": END,
        **fields,
    }
    return Campaign(**values)  # type: ignore[arg-type]


def test_the_window_holds_its_start_and_not_its_end() -> None:
    double = campaign(CampaignKind.POINTS, multiplier=2)
    assert [points_multiplier([double], t) for t in (START - TICK, START, END - TICK, END)] == [
        1,
        2,
        2,
        1,
    ]


def test_the_largest_applies_and_a_category_campaign_only_to_its_category() -> None:
    everyone = campaign(CampaignKind.FEE, discount_bp=200)
    design = campaign(CampaignKind.FEE, discount_bp=500, category="design")
    both = [everyone, design]
    assert fee_discount_bp(both, "design", START) == 500
    assert fee_discount_bp(both, "writing", START) == 200
    assert fee_discount_bp(both, "design", END) == 0
    triple = campaign(CampaignKind.POINTS, multiplier=3)
    assert points_multiplier([campaign(CampaignKind.POINTS, multiplier=2), triple], START) == 3


def test_the_fee_policy_takes_the_campaign_off_the_rate_after_the_tier() -> None:
    policy = FeePolicy()
    assert policy.fee_for(100_000, tier=Tier.SILVER) == 9_000
    assert policy.fee_for(100_000, tier=Tier.SILVER, campaign_discount_bp=500) == 4_000
    assert policy.fee_for(100_000, tier=Tier.DIAMOND, campaign_discount_bp=10_000) == 0


def test_urgency_is_said_as_people_say_it() -> None:
    running = campaign(CampaignKind.POINTS, multiplier=2)
    assert urgency(running, END - timedelta(hours=3)) == "ends in 3 h"
    assert urgency(running, END - timedelta(minutes=25)) == "ends in 25 min"
    assert urgency(running, END - timedelta(seconds=10)) == "ends in 1 min"
    assert urgency(running, START) == "ends in 2 days"
    assert urgency(running, START - timedelta(hours=5)) == "starts in 5 h"
    assert urgency(running, END) == "ended"
    assert describe(running) == "points ×2"
    assert describe(campaign(CampaignKind.FEE, discount_bp=250, category="design")) == (
        "fee −2.5% (design)"
    )
