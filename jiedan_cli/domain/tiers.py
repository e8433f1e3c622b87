"""Membership tiers (会员等级) from trailing-12-month completed volume and count (money.md):
普通 / 银牌 / 金牌 / 钻石, their boundaries and commission discounts in TIER_RULES, the one
place every perk (the fee policy, recommendations, the client's bid list, badges) reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

Item = TypeVar("Item")


class Tier(StrEnum):
    REGULAR = "regular"  # 普通
    SILVER = "silver"  # 银牌
    GOLD = "gold"  # 金牌
    DIAMOND = "diamond"  # 钻石


@dataclass(frozen=True)
class TierRule:
    tier: Tier
    label: str
    min_volume_fen: int
    min_orders: int
    fee_discount_bp: int  # basis points taken off the commission rate


TIER_WINDOW = timedelta(days=365)  # the trailing volume and count a tier is earned by

TIER_RULES: tuple[TierRule, ...] = (
    TierRule(Tier.REGULAR, "普通", 0, 0, 0),
    TierRule(Tier.SILVER, "银牌", 1_000_000, 5, 100),  # ¥10,000 and 5 orders: 10% → 9%
    TierRule(Tier.GOLD, "金牌", 5_000_000, 20, 200),
    TierRule(Tier.DIAMOND, "钻石", 20_000_000, 50, 300),
)


def tier_for(volume_fen: int, completed_orders: int) -> Tier:
    """The highest tier whose volume and count thresholds are both met."""
    best = Tier.REGULAR
    for rule in TIER_RULES:
        if volume_fen >= rule.min_volume_fen and completed_orders >= rule.min_orders:
            best = rule.tier
    return best


def rule_for(tier: Tier | str) -> TierRule:
    return next(r for r in TIER_RULES if r.tier == tier)


def tier_rank(tier: Tier | str | None) -> int:
    """0 for 普通 up to 3 for 钻石; an unknown or missing tier ranks as 普通."""
    ranks = {str(r.tier): at for at, r in enumerate(TIER_RULES)}
    return ranks.get(str(tier or ""), 0)


def tier_label(tier: Tier | str | None) -> str:
    """The Chinese name (银牌 …); 普通 for an unknown or missing tier."""
    return TIER_RULES[tier_rank(tier)].label


def by_tier_priority(bids: list[Item], tier_of: Callable[[Item], str | None]) -> list[Item]:
    """A client's bid list with the perk of the higher tiers (优先展示): 钻石 bids first, then
    金牌, 银牌, 普通; within one tier the order the list had (the sort is stable). A bidder
    whose tier is not known ranks as 普通 (docs/decisions.md, #13 tiers)."""
    return sorted(bids, key=lambda bid: -tier_rank(tier_of(bid)))


def next_rule(tier: Tier | str) -> TierRule | None:
    index = [r.tier for r in TIER_RULES].index(Tier(tier))
    return TIER_RULES[index + 1] if index + 1 < len(TIER_RULES) else None


def progress_words(volume_fen: int, completed_orders: int) -> str:
    """What is still missing to the next tier, in plain words: "¥2,300 and 2 more orders to
    银牌", "3 more orders to 金牌" when the volume is there already, "the top tier" at 钻石."""
    following = next_rule(tier_for(volume_fen, completed_orders))
    if following is None:
        return f"{TIER_RULES[-1].label}: the top tier"
    missing = []
    short_fen = following.min_volume_fen - volume_fen
    if short_fen > 0:
        missing.append(_yuan(short_fen))
    short_orders = following.min_orders - completed_orders
    if short_orders > 0:
        noun = "order" if short_orders == 1 else "orders"
        missing.append(f"{short_orders} more {noun}")
    return f"{' and '.join(missing)} to {following.label}"


def _yuan(fen: int) -> str:
    """¥2,300 for whole yuan, ¥2,300.50 otherwise."""
    whole, cents = divmod(fen, 100)
    return f"¥{whole:,}" if not cents else f"¥{whole:,}.{cents:02d}"


def standing(balance: int, volume_fen: int, completed_orders: int) -> dict[str, Any]:
    """{balance, tier, tier_label, next_tier, progress}: GET /v1/points and the replica alike."""
    tier = tier_for(volume_fen, completed_orders)
    following = next_rule(tier)
    progress: dict[str, Any] = {"volume_fen": volume_fen, "completed_orders": completed_orders}
    if following is not None:
        progress |= {
            "next_min_volume_fen": following.min_volume_fen,
            "next_min_orders": following.min_orders,
        }
    return {
        "balance": balance,
        "tier": str(tier),
        "tier_label": rule_for(tier).label,
        "next_tier": str(following.tier) if following else None,
        "progress": progress,
        "progress_words": progress_words(volume_fen, completed_orders),
    }
