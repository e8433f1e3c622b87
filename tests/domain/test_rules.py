from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiedan_cli.domain.contacts import mask_contacts
from jiedan_cli.domain.errors import Conflict, InvalidInput
from jiedan_cli.domain.fees import DEFAULT_FEE_POLICY, FEE_STRUCTURES, FeePolicy, simulate
from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.ledger import split_release, split_resolution
from jiedan_cli.domain.states import (
    MILESTONE_TRANSITIONS,
    OrderStatus,
    require_bid,
    require_milestone,
    require_order,
)
from jiedan_cli.domain.tiers import Tier, next_rule, tier_for


def test_ids_are_uuid7_and_time_ordered() -> None:
    first, second = new_id(), new_id()
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first
    )
    assert first[:8] <= second[:8]


def test_order_transitions() -> None:
    require_order("open", OrderStatus.AWARDED)
    with pytest.raises(Conflict, match="order is completed"):
        require_order("completed", OrderStatus.CANCELLED)


def test_a_withdrawn_bid_cannot_be_awarded() -> None:
    from jiedan_cli.domain.states import BidStatus

    with pytest.raises(Conflict):
        require_bid("withdrawn", BidStatus.AWARDED)


def test_settled_milestones_are_final() -> None:
    from jiedan_cli.domain.states import MILESTONE_SETTLED, MilestoneStatus

    for status in MILESTONE_SETTLED:
        assert MILESTONE_TRANSITIONS[status] == frozenset()
        with pytest.raises(Conflict):
            require_milestone(status, MilestoneStatus.RELEASED)


def test_fee_is_ten_percent_by_default_and_discounted_by_tier() -> None:
    assert DEFAULT_FEE_POLICY.fee_for(80_000) == 8_000
    assert DEFAULT_FEE_POLICY.fee_for(80_000, tier=Tier.GOLD) == 6_400
    assert DEFAULT_FEE_POLICY.fee_for(80_000, first_order=True) == 0
    assert FeePolicy(minimum_fen=500).fee_for(1_000) == 500
    assert FeePolicy(minimum_fen=5_000).fee_for(1_000) == 1_000  # never more than the amount


@given(st.integers(min_value=1, max_value=10**10), st.sampled_from(list(Tier)))
def test_fee_never_exceeds_the_amount(amount: int, tier: Tier) -> None:
    fee = DEFAULT_FEE_POLICY.fee_for(amount, tier=tier)
    paid, kept = split_release(amount, fee)
    assert 0 <= fee <= amount and paid + kept == amount


@given(st.integers(min_value=1, max_value=10**10), st.integers(min_value=0, max_value=100))
def test_a_resolution_split_adds_up(amount: int, pct: int) -> None:
    to_freelancer, to_client = split_resolution(amount, pct)
    assert to_freelancer + to_client == amount and to_freelancer >= 0 and to_client >= 0


def test_tiers() -> None:
    assert tier_for(0, 0) == Tier.REGULAR
    assert tier_for(1_000_000, 5) == Tier.SILVER
    assert tier_for(100_000_000, 3) == Tier.REGULAR  # count matters too
    assert next_rule(Tier.DIAMOND) is None


def test_fee_structures_cost_what_they_say() -> None:
    costs = {s.name: s.monthly_cost(1_000_000) for s in FEE_STRUCTURES}
    assert costs == {
        "commission": 100_000,
        "membership": 29_900,
        "hybrid": 59_900,
        "promoted": 79_900,  # 3% and a forced ¥499 package
    }
    rows = {row["structure"]: row for row in simulate(300_000)}  # ¥3,000 a month
    assert rows["promoted"]["monthly_cost_fen"] == 58_900 > rows["commission"]["monthly_cost_fen"]
    assert "forced promotion package costs 289.00 yuan more" in rows["promoted"]["warning"]
    assert rows["hybrid"]["warning"] == ""  # ¥249 against ¥300: the hybrid is cheaper here
    small = {row["structure"]: row["warning"] for row in simulate(100_000)}  # ¥1,000
    assert small["hybrid"] == "lower commission, but the monthly fee costs 49.00 yuan more a month"


@pytest.mark.parametrize(
    "text",
    [
        "加我微信 wxid_abc123",
        "电话 13812345678",
        "mail me at a.b@example.com",
        "QQ:123456789",
        "vx: abcdef12",
    ],
)
def test_contacts_are_masked(text: str) -> None:
    masked, found = mask_contacts(text)
    assert found and "[已隐藏]" in masked


def test_plain_text_is_left_alone() -> None:
    assert mask_contacts("预算 800 元，3 天交付") == ("预算 800 元，3 天交付", False)


def test_simulating_a_month_prices_every_structure_and_marks_the_cheapest() -> None:
    rows = {row["structure"]: row for row in simulate(800_000, 4)}  # ¥8,000 in four orders
    assert rows["commission"] == {
        "structure": "commission",
        "rate_bp": 1_000,
        "monthly_fee_fen": 0,
        "package_fen": 0,
        "monthly_cost_fen": 80_000,
        "effective_rate_bp": 1_000,
        "per_order_fen": 20_000,
        "kept_fen": 720_000,
        "warning": "",
        "cheapest": False,
    }
    assert rows["membership"]["monthly_cost_fen"] == 29_900 and rows["membership"]["cheapest"]
    assert rows["hybrid"]["monthly_cost_fen"] == 9_900 + 40_000
    # a small month: the membership fee is the dear one (the seed's 4.1)
    small = {row["structure"]: row for row in simulate(100_000)}
    assert small["commission"]["cheapest"] and not small["membership"]["cheapest"]
    assert small["membership"]["kept_fen"] == 100_000 - 29_900


def test_a_higher_tier_pays_a_lower_commission_in_the_simulation() -> None:
    regular = simulate(1_000_000)[0]
    gold = simulate(1_000_000, tier=Tier.GOLD)[0]
    assert (regular["rate_bp"], gold["rate_bp"]) == (1_000, 800)
    assert gold["monthly_cost_fen"] == 80_000
    assert simulate(1_000_000, tier=Tier.GOLD)[1]["rate_bp"] == 0  # no commission to discount


@pytest.mark.parametrize(("volume", "orders"), [(0, 1), (-5, 1), (100, 0)])
def test_a_month_needs_volume_and_orders(volume: int, orders: int) -> None:
    with pytest.raises(InvalidInput):
        simulate(volume, orders)
