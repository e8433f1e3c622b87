"""The platform commission (抽成) taken on each release, and the fee structures that
`fees simulate` compares."""

from __future__ import annotations

from dataclasses import dataclass

from jiedan_cli.domain.tiers import Tier, rule_for


def _percent_of(amount_fen: int, basis_points: int) -> int:
    """Round half up, in integers: no float ever touches money."""
    return (amount_fen * basis_points + 5_000) // 10_000


@dataclass(frozen=True)
class FeePolicy:
    rate_bp: int = 1_000  # 10%
    minimum_fen: int = 0
    first_order_waived: bool = True

    def fee_for(
        self, amount_fen: int, *, tier: Tier | str = Tier.REGULAR, first_order: bool = False
    ) -> int:
        """The commission on releasing `amount_fen` to a freelancer of `tier`."""
        if amount_fen <= 0 or (first_order and self.first_order_waived):
            return 0
        rate = max(self.rate_bp - rule_for(tier).fee_discount_bp, 0)
        fee = max(_percent_of(amount_fen, rate), self.minimum_fen)
        return min(fee, amount_fen)


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
