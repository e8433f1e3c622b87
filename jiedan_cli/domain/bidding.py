"""Who may bid, and when a bid may still change: one rule for the server and for the offline
client, so both refuse with the same reason and code."""

from __future__ import annotations

from jiedan_cli.domain.errors import Conflict, Refused
from jiedan_cli.domain.states import BidStatus, OrderStatus


def require_open_for_bidding(order_status: str, order_client_id: str, bidder_id: str) -> None:
    if order_client_id == bidder_id:
        raise Refused("you cannot bid on your own order", code="own_order")
    if order_status != OrderStatus.OPEN:
        raise Conflict(
            f"order is {order_status}; bids are taken only while it is open",
            code=f"order_{order_status}",
        )


def require_bid_changeable(bid_status: str, order_status: str) -> None:
    if bid_status != BidStatus.SUBMITTED:
        raise Conflict(f"bid is {bid_status}; it can no longer change", code=f"bid_{bid_status}")
    if order_status != OrderStatus.OPEN:
        raise Conflict(
            f"order is {order_status}; bids change only while it is open",
            code=f"order_{order_status}",
        )


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
