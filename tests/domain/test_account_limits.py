"""The pure rules behind the money caps (issue 9, item 7): an unverified freelancer's order
total, the capped first-order fee waiver, and what a new or unverified account withdraws."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jiedan_cli.domain.account_limits import (
    NewAccountLimit,
    check_order_total,
    withdrawal_over_cap,
)
from jiedan_cli.domain.errors import Refused
from jiedan_cli.domain.fees import DEFAULT_FEE_POLICY, FIRST_ORDER_WAIVER_FEN

NOW = datetime(2026, 11, 28, 9, tzinfo=UTC)
LIMIT = NewAccountLimit(days=30, max_withdrawal_fen=500_000)


def test_the_order_total_is_capped_for_an_unverified_freelancer() -> None:
    check_order_total(500_000, freelancer_verified=False, cap_fen=500_000)
    check_order_total(9_000_000_000, freelancer_verified=True, cap_fen=500_000)
    check_order_total(9_000_000_000, freelancer_verified=False, cap_fen=None)
    with pytest.raises(Refused) as refused:
        check_order_total(500_001, freelancer_verified=False, cap_fen=500_000)
    assert refused.value.code == "freelancer_unverified"


def test_the_first_order_waiver_covers_its_first_2000_yuan_only() -> None:
    assert FIRST_ORDER_WAIVER_FEN == 200_000
    assert DEFAULT_FEE_POLICY.fee_for(200_000, first_order=True) == 0
    assert DEFAULT_FEE_POLICY.fee_for(9_000_000_000, first_order=True) == 899_980_000
    # a later milestone of the first order: what is left of the waiver
    assert (
        DEFAULT_FEE_POLICY.fee_for(100_000, first_order=True, first_order_paid_fen=150_000) == 5_000
    )
    assert (
        DEFAULT_FEE_POLICY.fee_for(100_000, first_order=True, first_order_paid_fen=200_000)
        == 10_000
    )


@pytest.mark.parametrize(
    ("age_days", "verified", "withdrawn", "amount", "allowed"),
    [
        (1, True, 0, 500_000, True),
        (1, True, 0, 500_001, False),
        (1, True, 400_000, 100_001, False),
        (400, False, 0, 500_001, False),  # old but unverified
        (400, True, 0, 9_000_000_000, True),  # old and verified: no limit
        (29, True, 0, 500_001, False),
        (30, True, 0, 500_001, True),
    ],
)
def test_a_new_or_unverified_account_withdraws_at_most_the_limit_a_day_unreviewed(
    age_days: int, verified: bool, withdrawn: int, amount: int, allowed: bool
) -> None:
    over = withdrawal_over_cap(
        amount,
        withdrawn_in_window_fen=withdrawn,
        account_created_at=NOW - timedelta(days=age_days),
        verified=verified,
        now=NOW,
        limit=LIMIT,
    )
    if allowed:
        assert over is None
        return
    assert over is not None
    assert "manual review" in over.reason and "waits for a reviewer" in over.reason
    assert "¥5000.00 in 24 hours" in over.reason  # names the cap
    assert f"(¥{max(500_000 - withdrawn, 0) / 100:.2f} left now)" in over.reason
    assert over.facts == {
        "amount_fen": amount,
        "withdrawn_in_window_fen": withdrawn,
        "cap_fen": 500_000,
        "account_age_days": age_days,
        "verified": verified,
    }
