"""The clients' first-order coupon (新客首单券): how much of a first payment the platform pays,
and how much of a coupon goes back to it when escrow is refunded in full or in part."""

from __future__ import annotations

from jiedan_cli.domain.money import format_yuan

# A coupon pays at most this share of the payment, so the client always pays the rest: an
# order made only to collect the coupon costs its maker at least as much as it yields.
MAX_SHARE_PCT = 50


def first_order_coupon_fen(amount_fen: int, cap_fen: int) -> int:
    """The coupon on a first payment of `amount_fen`: the cap, at most half the payment; 0 when
    the coupon is off (`cap_fen` 0)."""
    if cap_fen <= 0 or amount_fen <= 0:
        return 0
    return min(cap_fen, amount_fen * MAX_SHARE_PCT // 100)


def coupon_back_fen(coupon_fen: int, amount_fen: int, refunded_fen: int) -> int:
    """The coupon's share of `refunded_fen` (out of an escrow of `amount_fen` that a coupon of
    `coupon_fen` helped fill): what goes back to the platform, rounded up so that the client's
    refund is never more than their own share of it — a coupon never becomes cash."""
    if coupon_fen <= 0 or refunded_fen <= 0 or amount_fen <= 0:
        return 0
    refunded = min(refunded_fen, amount_fen)
    return min(coupon_fen, -(-coupon_fen * refunded // amount_fen))


def describe_coupon(status: str, amount_fen: int, reason: str | None = None) -> str:
    """The coupon in words, as `jiedan account status` and `client fund` say it."""
    worth = f"¥{format_yuan(amount_fen)}"
    if status == "available":
        return f"available: up to {worth} off your first payment (at most {MAX_SHARE_PCT}% of it)"
    if status == "applied":
        return f"used: {worth} off your first payment, paid by the platform"
    if status == "withheld":
        return f"withheld: {reason}" if reason else "withheld"
    if status == "not_eligible":
        return f"not for you: {reason}" if reason else "not for you"
    return "none on offer"
