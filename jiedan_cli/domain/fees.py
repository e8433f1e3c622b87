"""The platform commission (抽成) taken on each release, and the fee plans a freelancer
chooses (`jiedan fees plan`) — the same rows `fees simulate` compares."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
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
class FeePlan:
    """A fee structure a freelancer can choose (`jiedan fees plan choose`, the seed's 4.1),
    and the same row `fees simulate` prices: a commission on each release (`rate_bp`, before
    the tier's discount), a monthly fee, and a promotion package (推广包, a paid boost in
    recommendations) that the plan forces on its members each month. The monthly fee and the
    package are billed together, once a period, from the freelancer's available earnings."""

    name: str
    rate_bp: int
    monthly_fee_fen: int
    package_fen: int = 0
    label: str = ""

    @property
    def monthly_charge_fen(self) -> int:
        """What the plan bills each period: its fee and its forced package."""
        return self.monthly_fee_fen + self.package_fen

    def rate_for(self, tier: Tier | str = Tier.REGULAR) -> int:
        """The commission after the tier's discount (a plan without one stays at zero)."""
        if not self.rate_bp:
            return 0
        return max(self.rate_bp - rule_for(tier).fee_discount_bp, 0)

    def policy(self) -> FeePolicy:
        """The fee policy at release for a member of this plan."""
        return replace(DEFAULT_FEE_POLICY, rate_bp=self.rate_bp)

    def monthly_cost(self, volume_fen: int, tier: Tier | str = Tier.REGULAR) -> int:
        return self.monthly_charge_fen + _percent_of(volume_fen, self.rate_for(tier))


# The one list of plans: the default (commission) first. `promoted` is the seed's warning made
# concrete: the lowest commission, but a promotion package every member must buy each month,
# which at a small or middling volume costs more than the plain commission.
DEFAULT_PLAN = "commission"
FEE_PLANS: tuple[FeePlan, ...] = (
    FeePlan("commission", 1_000, 0, label="按单抽成 10%"),
    FeePlan("membership", 0, 29_900, label="会员 ¥299/月, 免抽成"),
    FeePlan("hybrid", 500, 9_900, label="混合 ¥99/月 + 5%"),
    FeePlan("promoted", 300, 0, 49_900, label="低佣 3% + 强制推广包 ¥499/月"),
)
FEE_STRUCTURES = FEE_PLANS  # the calculator's name for them
# A plan's period: billed at choosing, then every PLAN_PERIOD after (jobs/plan_fees.py).
PLAN_PERIOD = timedelta(days=30)


def fee_plan(name: str) -> FeePlan:
    """The plan called `name`; InvalidInput naming the choices otherwise."""
    for plan in FEE_PLANS:
        if plan.name == name:
            return plan
    choices = ", ".join(p.name for p in FEE_PLANS)
    raise InvalidInput(f"plan: one of {choices}", field="plan")


def plan_warning(plan: FeePlan, volume_fen: int, tier: Tier | str = Tier.REGULAR) -> str:
    """The seed's warning, where it holds: a plan with a lower commission than the default
    that still costs more at this volume, because of what it charges each month."""
    default = fee_plan(DEFAULT_PLAN)
    if plan.rate_for(tier) >= default.rate_for(tier) or not plan.monthly_charge_fen:
        return ""
    extra = plan.monthly_cost(volume_fen, tier) - default.monthly_cost(volume_fen, tier)
    if extra <= 0:
        return ""
    what = "forced promotion package" if plan.package_fen else "monthly fee"
    return f"lower commission, but the {what} costs {extra / 100:.2f} yuan more a month"


def simulate(
    monthly_volume_fen: int, orders: int = 1, *, tier: Tier | str = Tier.REGULAR
) -> list[dict[str, Any]]:
    """What each fee structure would cost a freelancer in a month of `orders` orders worth
    `monthly_volume_fen` in all (`jiedan fees simulate`, the seed's 4.1): the commission is
    this platform's own, discounted for `tier`; the others are the alternatives it weighs.
    Rows keep FEE_PLANS' order; the cheapest (all of them, on a tie) is marked."""
    if monthly_volume_fen <= 0:
        raise InvalidInput("monthly volume: more than zero", field="monthly_volume")
    if orders <= 0:
        raise InvalidInput("orders: at least one", field="orders")
    rows: list[dict[str, Any]] = []
    for structure in FEE_PLANS:
        rate = structure.rate_for(tier)
        cost = structure.monthly_cost(monthly_volume_fen, tier)
        rows.append(
            {
                "structure": structure.name,
                "rate_bp": rate,
                "monthly_fee_fen": structure.monthly_fee_fen,
                "package_fen": structure.package_fen,
                "monthly_cost_fen": cost,
                "effective_rate_bp": (cost * 10_000 + monthly_volume_fen // 2)
                // monthly_volume_fen,
                "per_order_fen": (cost + orders // 2) // orders,
                "kept_fen": monthly_volume_fen - cost,
                "warning": plan_warning(structure, monthly_volume_fen, tier),
            }
        )
    cheapest = min(int(row["monthly_cost_fen"]) for row in rows)
    for row in rows:
        row["cheapest"] = row["monthly_cost_fen"] == cheapest
    return rows
