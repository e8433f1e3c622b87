"""The Points section's two dialogs: Redeem points (积分兑换: a fee coupon or cash, the
points checked as typed by the domain's rule and against the balance on screen) and Fee plan
(收费方案: the plans of domain/fees.FEE_PLANS, the one in force chosen)."""

from __future__ import annotations

from typing import Any

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.fees import FEE_PLANS
from jiedan_cli.domain.points import REDEEM_FEN_PER_POINT, check_redemption
from jiedan_cli.tui.formatting import yuan
from jiedan_cli.tui.widgets.form_modal import Field, FormModal

REDEEM_CHOICES = (
    ("Fee coupon: off the fees of your next releases", "coupon"),
    ("Cash: to your available earnings", "cash"),
)


def _points(text: str, have: int | None) -> int:
    """Points as typed → a whole number the domain takes, no more than the balance shown."""
    try:
        points = int(text.strip().replace(",", ""))
    except ValueError:
        msg = f"points: {text.strip()!r} is not a whole number"
        raise InvalidInput(msg, field="points") from None
    check_redemption("coupon", points)  # the range; the kind is the other field's
    if have is not None and points > have:
        raise InvalidInput(f"you have {max(have, 0):,} points to redeem", field="points")
    return points


def redeem_form(balance: int | None) -> FormModal:
    """`balance`: the points on screen (None: not read yet, the action decides)."""
    known = f"You have {balance:,} points. " if balance is not None else ""
    rate = yuan(100 * REDEEM_FEN_PER_POINT)
    hint = f"{known}100 points = {rate}. Saved here, sent with the next sync."
    fields = [
        Field("kind", "For", choices=REDEEM_CHOICES),
        Field(
            "points",
            "Points",
            placeholder="e.g. 500",
            check=lambda text: _points(text, balance),
            required=True,
        ),
    ]
    return FormModal("Redeem points 积分兑换", fields, submit_label="Redeem", hint=hint)


def fee_plan_form(current: str | None) -> FormModal:
    """The plans on offer, `current` (the plan in force, when the server said) chosen."""
    choices = [(f"{plan.name} — {plan.label}", plan.name) for plan in FEE_PLANS]
    fields = [Field("plan", "Plan", value=current or "", choices=choices)]
    hint = (
        "A paid plan bills its first 30 days now from your available earnings; "
        "switching refunds nothing. Needs the network."
    )
    return FormModal("Fee plan 收费方案", fields, submit_label="Choose", hint=hint)


def plan_words(plan: dict[str, Any]) -> str:
    """The notice once the server switched: the plan, and what it was billed until."""
    words = f"Fee plan: {plan.get('plan')} ({plan.get('label')})"
    if plan.get("paid_until"):
        words += f", paid until {str(plan['paid_until'])[:10]}"
    return words + "."
