"""A word before a bid goes out when its amount is far below or above the client's budget —
never a refusal (the freelancer decides)."""

from __future__ import annotations

import pytest

from jiedan_cli.domain.bidding import budget_note


@pytest.mark.parametrize(
    ("amount_fen", "says"),
    [
        (50_000, "¥500.00 is far below the client's budget (¥2000.00–4000.00)"),
        (99_999, "¥999.99 is far below the client's budget (¥2000.00–4000.00)"),
        (100_000, None),  # half the lower end: low, not far below
        (300_000, None),
        (400_000, None),
        (400_001, "¥4000.01 is above the client's budget (¥2000.00–4000.00)"),
    ],
)
def test_far_below_or_above_the_budget(amount_fen: int, says: str | None) -> None:
    assert budget_note(amount_fen, 200_000, 400_000) == says
