"""What a bid might ask (智能定价, the seed 5.1; `jiedan bid suggest`): the spread of the
amounts accepted on similar orders — low and high quartiles around the median — or, with too
few of them to say, the client's own budget."""

from __future__ import annotations

from collections.abc import Sequence

ENOUGH = 3  # accepted bids needed before their spread says more than the budget does


def _quantile(ordered: Sequence[int], q: float) -> int:
    """Linear interpolation between the closest ranks, rounded to whole fen."""
    position = (len(ordered) - 1) * q
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return round(ordered[below] + (ordered[above] - ordered[below]) * (position - below))


def price_range(accepted_fen: Sequence[int], budget: tuple[int, int]) -> dict[str, int]:
    """{low_fen, median_fen, high_fen, basis_count} from the accepted amounts, or from the
    budget (its ends and middle, basis 0) when fewer than ENOUGH were accepted."""
    if len(accepted_fen) < ENOUGH:
        low, high = budget
        return {"low_fen": low, "median_fen": (low + high) // 2, "high_fen": high, "basis_count": 0}
    ordered = sorted(accepted_fen)
    return {
        "low_fen": _quantile(ordered, 0.25),
        "median_fen": _quantile(ordered, 0.5),
        "high_fen": _quantile(ordered, 0.75),
        "basis_count": len(ordered),
    }
