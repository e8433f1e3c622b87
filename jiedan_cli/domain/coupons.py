"""The clients' first-order coupon (新客首单券): how much of a first payment the platform pays,
and how much of a coupon goes back to it when escrow is refunded in full or in part."""

from __future__ import annotations

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
