"""The platform commission (抽成) taken on each release, and the fee structures that
`fees simulate` compares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.tiers import Tier, rule_for


def _percent_of(amount_fen: int, basis_points: int) -> int:
    """Round half up, in integers: no float ever touches money."""
    return (amount_fen * basis_points + 5_000) // 10_000


# The first-order fee waiver (首单免佣) covers the fee on the first ¥2,000 of a freelancer's
# first order, across its milestones; the rest of that order pays the usual fee (money.md).
FIRST_ORDER_WAIVER_FEN = 200_000


@dataclass(frozen=True)
class FeePolicy:
    rate_bp: int = 1_000  # 10%
    minimum_fen: int = 0
    first_order_waived: bool = True
    first_order_waiver_fen: int = FIRST_ORDER_WAIVER_FEN

    def fee_for(
        self,
        amount_fen: int,
        *,
        tier: Tier | str = Tier.REGULAR,
        first_order: bool = False,
        first_order_paid_fen: int = 0,
        campaign_discount_bp: int = 0,
    ) -> int:
        """The commission on releasing `amount_fen` to a freelancer of `tier`. On their first
        order the waiver covers what is left of its first `first_order_waiver_fen`, after the
        `first_order_paid_fen` that order has paid out already (gross). A running fee
        campaign (domain/campaigns.fee_discount_bp) takes `campaign_discount_bp` off the rate,
        after the tier's discount; the rate never goes below zero."""
        charged = amount_fen
        if first_order and self.first_order_waived:
            covered = max(self.first_order_waiver_fen - max(first_order_paid_fen, 0), 0)
            charged -= min(amount_fen, covered)
        if charged <= 0:
            return 0
        discount = rule_for(tier).fee_discount_bp + max(campaign_discount_bp, 0)
        rate = max(self.rate_bp - discount, 0)
        fee = max(_percent_of(charged, rate), self.minimum_fen)
        return min(fee, charged)


DEFAULT_FEE_POLICY = FeePolicy()


@dataclass(frozen=True)
class FeeStructure:
    """One way a platform can charge, for the calculator (the seed, 4.1)."""

    name: str
    rate_bp: int
    monthly_fee_fen: int

    def monthly_cost(self, volume_fen: int) -> int:
        return self.monthly_fee_fen + _percent_of(volume_fen, self.rate_bp)


FEE_STRUCTURES: tuple[FeeStructure, ...] = (
    FeeStructure("commission", 1_000, 0),
    FeeStructure("membership", 0, 29_900),
    FeeStructure("hybrid", 500, 9_900),
)


def simulate(
    monthly_volume_fen: int, orders: int = 1, *, tier: Tier | str = Tier.REGULAR
) -> list[dict[str, Any]]:
    """What each fee structure would cost a freelancer in a month of `orders` orders worth
    `monthly_volume_fen` in all (`jiedan fees simulate`, the seed's 4.1): the commission is
    this platform's own, discounted for `tier`; the others are the alternatives it weighs.
    Rows keep FEE_STRUCTURES' order; the cheapest (all of them, on a tie) is marked."""
    if monthly_volume_fen <= 0:
        raise InvalidInput("monthly volume: more than zero", field="monthly_volume")
    if orders <= 0:
        raise InvalidInput("orders: at least one", field="orders")
    discount = rule_for(tier).fee_discount_bp
    rows: list[dict[str, Any]] = []
    for structure in FEE_STRUCTURES:
        rate = max(structure.rate_bp - discount, 0) if structure.rate_bp else 0
        cost = structure.monthly_fee_fen + _percent_of(monthly_volume_fen, rate)
        rows.append(
            {
                "structure": structure.name,
                "rate_bp": rate,
                "monthly_fee_fen": structure.monthly_fee_fen,
                "monthly_cost_fen": cost,
                "effective_rate_bp": (cost * 10_000 + monthly_volume_fen // 2)
                // monthly_volume_fen,
                "per_order_fen": (cost + orders // 2) // orders,
                "kept_fen": monthly_volume_fen - cost,
            }
        )
    cheapest = min(int(row["monthly_cost_fen"]) for row in rows)
    for row in rows:
        row["cheapest"] = row["monthly_cost_fen"] == cheapest
    return rows
