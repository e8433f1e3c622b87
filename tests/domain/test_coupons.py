"""The first-order coupon's arithmetic (domain/coupons.py): capped, at most half a payment;
on a refund the coupon's share goes back to the platform, so the payer is never refunded
more than they paid — a coupon never becomes cash — and a full refund returns all of it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jiedan_cli.domain.coupons import coupon_back_fen, describe_coupon, first_order_coupon_fen

amounts = st.integers(1, 10_000_000)
caps = st.integers(0, 1_000_000)


def test_the_cap_and_the_half() -> None:
    assert first_order_coupon_fen(80_000, 1_000) == 1_000
    assert first_order_coupon_fen(1_500, 1_000) == 750
    assert first_order_coupon_fen(1, 1_000) == 0
    assert first_order_coupon_fen(80_000, 0) == 0  # off


@given(amount=amounts, cap=caps)
def test_a_coupon_is_never_more_than_the_cap_or_half(amount: int, cap: int) -> None:
    coupon = first_order_coupon_fen(amount, cap)
    assert 0 <= coupon <= cap and 2 * coupon <= amount


@given(amount=amounts, cap=caps, data=st.data())
def test_a_refund_never_hands_the_coupon_to_the_payer(
    amount: int, cap: int, data: st.DataObject
) -> None:
    coupon = first_order_coupon_fen(amount, cap)
    refunded = data.draw(st.integers(0, amount))
    back = coupon_back_fen(coupon, amount, refunded)
    assert 0 <= back <= min(coupon, refunded)
    assert refunded - back <= amount - coupon  # the payer gets at most what they paid
    if refunded == amount:
        assert back == coupon


def test_a_split_gives_back_the_coupons_share_rounded_up() -> None:
    assert coupon_back_fen(1_000, 80_000, 24_000) == 300  # 30% refunded
    assert coupon_back_fen(1_000, 80_000, 1) == 1  # rounded up, for the platform
    assert coupon_back_fen(0, 80_000, 80_000) == 0


def test_the_words() -> None:
    assert describe_coupon("available", 1_000) == (
        "available: up to ¥10.00 off your first payment (at most 50% of it)"
    )
    assert (
        describe_coupon("applied", 750)
        == "used: ¥7.50 off your first payment, paid by the platform"
    )
    assert describe_coupon("withheld", 0, "shared install") == "withheld: shared install"
    assert describe_coupon("off", 0) == "none on offer"
