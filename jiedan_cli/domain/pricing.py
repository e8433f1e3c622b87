"""What a bid might ask (智能定价, the seed 5.1; `jiedan bid suggest`): the spread of the
amounts accepted on similar completed orders — low and high quartiles around the median — or,
with too few of them to say, the client's own budget.

Bids are sealed (security.md), so the hint must not give one away. It speaks only when the
amounts come from at least ENOUGH_CLIENTS different clients (the asker's own orders never
count: an asker who made the basis with their own orders would read the one other amount as
the median), and it speaks in round figures: two significant figures, in steps of at least
¥10 (`round_hint`). A client who finishes four orders with sock-puppet accounts can still
steer the quartiles around a fifth, but reads the amount only to two figures, and has paid
four escrows and their fees to do so."""

from __future__ import annotations

from collections.abc import Sequence

ENOUGH_CLIENTS = 5  # distinct clients whose accepted amounts the spread may come from
HINT_STEP_MIN_FEN = 1_000  # ¥10: the finest step a hint is rounded to
HINT_FIGURES = 2  # significant figures a hint keeps


def round_hint(fen: int) -> int:
    """`fen` to two significant figures, in steps of at least ¥10, half up; never 0.

    ¥1,234.56 → ¥1,200; ¥85 → ¥90; ¥3 → ¥10; ¥123,456 → ¥120,000."""
    step = max(HINT_STEP_MIN_FEN, int(10 ** max(len(str(abs(fen))) - HINT_FIGURES, 0)))
    return max(step, (fen + step // 2) // step * step)


def _quantile(ordered: Sequence[int], q: float) -> int:
    """Linear interpolation between the closest ranks, rounded to whole fen."""
    position = (len(ordered) - 1) * q
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return round(ordered[below] + (ordered[above] - ordered[below]) * (position - below))


def price_range(accepted: Sequence[tuple[str, int]], budget: tuple[int, int]) -> dict[str, int]:
    """{low_fen, median_fen, high_fen, basis_count, market_*_fen} from the accepted (client
    id, amount) pairs: the market's quartiles rounded by `round_hint` (`market_low_fen`, …),
    and the range to bid in — those quartiles fitted into the client's budget, for a bid
    outside it is one this client said they would not pay (or would find suspiciously low).
    With amounts from fewer than ENOUGH_CLIENTS clients: the budget itself (its ends and
    middle, exact, basis 0) and no market figures."""
    low_budget, high_budget = budget
    if len({client for client, _ in accepted}) < ENOUGH_CLIENTS:
        return {
            "low_fen": low_budget,
            "median_fen": (low_budget + high_budget) // 2,
            "high_fen": high_budget,
            "basis_count": 0,
        }
    ordered = sorted(amount for _, amount in accepted)
    market = [round_hint(_quantile(ordered, q)) for q in (0.25, 0.5, 0.75)]
    low, median, high = (min(max(fen, low_budget), high_budget) for fen in market)
    return {
        "low_fen": low,
        "median_fen": median,
        "high_fen": high,
        "basis_count": len(ordered),
        "market_low_fen": market[0],
        "market_median_fen": market[1],
        "market_high_fen": market[2],
    }


def budget_fit(found: dict[str, int], budget: tuple[int, int]) -> str:
    """How the market's range sits against the budget, in words for the explanation:
    "" when inside it, else what fitting it into the budget did."""
    if "market_low_fen" not in found:
        return ""
    low_budget, high_budget = budget
    if found["market_high_fen"] < low_budget:
        return "all below this client's budget, so the range is its lowest end"
    if found["market_low_fen"] > high_budget:
        return "all above this client's budget, so the range is its highest end"
    if found["market_low_fen"] < low_budget or found["market_high_fen"] > high_budget:
        return "cut to this client's budget"
    return ""
