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
