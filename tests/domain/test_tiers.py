"""The tier boundaries (domain/tiers.TIER_RULES): each threshold exactly, one fen and one order
short of it, the discounts, and that more volume or more orders never lower a tier."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiedan_cli.domain.fees import DEFAULT_FEE_POLICY
from jiedan_cli.domain.tiers import (
    TIER_RULES,
    Tier,
    TierRule,
    progress_words,
    rule_for,
    tier_for,
    tier_label,
    tier_rank,
)


def test_all_four_tiers_in_order_with_rising_thresholds_and_discounts() -> None:
    assert [(r.tier, r.label) for r in TIER_RULES] == [
        (Tier.REGULAR, "普通"),
        (Tier.SILVER, "银牌"),
        (Tier.GOLD, "金牌"),
        (Tier.DIAMOND, "钻石"),
    ]
    for lower, higher in pairwise(TIER_RULES):
        assert higher.min_volume_fen > lower.min_volume_fen
        assert higher.min_orders > lower.min_orders
        assert higher.fee_discount_bp > lower.fee_discount_bp


@pytest.mark.parametrize("rule", TIER_RULES[1:], ids=lambda r: str(r.tier))
def test_each_boundary_exactly_and_just_short(rule: TierRule) -> None:
    below = TIER_RULES[tier_rank(rule.tier) - 1].tier
    volume, orders = rule.min_volume_fen, rule.min_orders
    assert tier_for(volume, orders) == rule.tier
    assert tier_for(volume - 1, orders) == below  # one fen short
    assert tier_for(volume, orders - 1) == below  # one order short
    assert tier_for(volume * 100, orders - 1) == below  # volume alone is not enough


@pytest.mark.parametrize(
    ("tier", "fee"),
    [(Tier.REGULAR, 10_000), (Tier.SILVER, 9_000), (Tier.GOLD, 8_000), (Tier.DIAMOND, 7_000)],
)
def test_the_commission_on_100_000_fen_by_tier(tier: Tier, fee: int) -> None:
    assert DEFAULT_FEE_POLICY.fee_for(100_000, tier=tier) == fee
    assert rule_for(tier).fee_discount_bp == 1_000 - fee // 10


@given(
    st.integers(0, 50_000_000),
    st.integers(0, 100),
    st.integers(0, 50_000_000),
    st.integers(0, 100),
)
def test_a_tier_never_drops_when_volume_and_count_grow(
    volume: int, orders: int, more_volume: int, more_orders: int
) -> None:
    before = tier_rank(tier_for(volume, orders))
    assert tier_rank(tier_for(volume + more_volume, orders + more_orders)) >= before


def test_progress_in_plain_words() -> None:
    assert progress_words(770_000, 3) == "¥2,300 and 2 more orders to 银牌"
    assert progress_words(1_000_000, 4) == "1 more order to 银牌"
    assert progress_words(999_950, 9) == "¥0.50 to 银牌"
    assert progress_words(1_000_000, 5) == "¥40,000 and 15 more orders to 金牌"
    assert progress_words(20_000_000, 50) == "钻石: the top tier"


def test_unknown_tiers_rank_and_read_as_regular() -> None:
    assert tier_rank(None) == tier_rank("platinum") == 0
    assert tier_label(None) == "普通" and tier_label("gold") == "金牌"
