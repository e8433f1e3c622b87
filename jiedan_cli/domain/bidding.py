"""A word on a bid's amount before it goes out. (Who may bid, and when a bid may still change:
domain/moves.may_bid, may_change_bid.)"""

from __future__ import annotations

FAR_BELOW_SHARE = 0.5  # a bid under half the budget's lower end is "far below" it


def budget_note(amount_fen: int, budget_min_fen: int, budget_max_fen: int) -> str | None:
    """A word before a bid goes out (never a refusal: the freelancer decides): far below the
    client's budget (it sells the work short and looks like bait) or above it."""
    from jiedan_cli.domain.money import format_yuan

    budget = f"¥{format_yuan(budget_min_fen)}–{format_yuan(budget_max_fen)}"
    if amount_fen < budget_min_fen * FAR_BELOW_SHARE:
        return f"¥{format_yuan(amount_fen)} is far below the client's budget ({budget})"
    if amount_fen > budget_max_fen:
        return f"¥{format_yuan(amount_fen)} is above the client's budget ({budget})"
    return None
