"""The state machines of orders, bids and milestones (money.md). One table each; `require`
refuses a transition with the reason both the server and the offline client give."""

from __future__ import annotations

from enum import StrEnum

from jiedan_cli.domain.errors import Conflict, InvalidInput


class OrderStatus(StrEnum):
    OPEN = "open"
    AWARDED = "awarded"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DISPUTED = "disputed"


ANY_STATUS = "all"  # a listing's status filter for every status (GET /v1/orders, orders list)


def check_status_filter(status: str, *, field: str = "status") -> str:
    """A listing's status filter: an order status or "all" (any case, "in-progress" too);
    InvalidInput naming the choices otherwise, on the server and the command line alike."""
    key = status.strip().casefold().replace("-", "_") if isinstance(status, str) else ""
    if key == ANY_STATUS or key in set(OrderStatus):
        return key
    choices = ", ".join([*OrderStatus, ANY_STATUS])
    raise InvalidInput(f"{field}: {status!r} is not one of {choices}", field=field)


class BidStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    AWARDED = "awarded"
    DECLINED = "declined"
    REJECTED = "rejected"


def check_bid_status_filter(status: str, *, field: str = "status") -> str:
    """A bid listing's status filter (any case); InvalidInput naming the choices otherwise."""
    key = status.strip().casefold() if isinstance(status, str) else ""
    if key in set(BidStatus):
        return key
    raise InvalidInput(f"{field}: {status!r} is not one of {', '.join(BidStatus)}", field=field)


class MilestoneStatus(StrEnum):
    CREATED = "created"
    FUNDED = "funded"
    SUBMITTED = "submitted"
    REVISION_REQUESTED = "revision_requested"
    RELEASED = "released"
    AUTO_RELEASED = "auto_released"
    REFUND_REQUESTED = "refund_requested"
    REFUNDED = "refunded"
    DISPUTED = "disputed"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


OS, BS, MS = OrderStatus, BidStatus, MilestoneStatus

ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OS.OPEN: frozenset({OS.AWARDED, OS.CANCELLED}),
    OS.AWARDED: frozenset({OS.IN_PROGRESS, OS.CANCELLED}),
    OS.IN_PROGRESS: frozenset({OS.DELIVERED, OS.CANCELLED, OS.DISPUTED, OS.COMPLETED}),
    OS.DELIVERED: frozenset({OS.COMPLETED, OS.IN_PROGRESS, OS.DISPUTED}),
    OS.DISPUTED: frozenset({OS.COMPLETED, OS.CANCELLED}),
    OS.COMPLETED: frozenset(),
    OS.CANCELLED: frozenset(),
}

BID_TRANSITIONS: dict[BidStatus, frozenset[BidStatus]] = {
    BS.SUBMITTED: frozenset({BS.WITHDRAWN, BS.AWARDED, BS.DECLINED, BS.REJECTED}),
    BS.WITHDRAWN: frozenset(),
    BS.AWARDED: frozenset(),
    BS.DECLINED: frozenset(),
    BS.REJECTED: frozenset(),
}

MILESTONE_TRANSITIONS: dict[MilestoneStatus, frozenset[MilestoneStatus]] = {
    MS.CREATED: frozenset({MS.FUNDED, MS.CANCELLED}),
    MS.FUNDED: frozenset({MS.SUBMITTED, MS.REFUND_REQUESTED, MS.DISPUTED, MS.RELEASED}),
    MS.SUBMITTED: frozenset(
        {MS.RELEASED, MS.AUTO_RELEASED, MS.REVISION_REQUESTED, MS.DISPUTED, MS.REFUND_REQUESTED}
    ),
    MS.REVISION_REQUESTED: frozenset({MS.SUBMITTED, MS.DISPUTED, MS.REFUND_REQUESTED}),
    MS.REFUND_REQUESTED: frozenset({MS.REFUNDED, MS.DISPUTED, MS.FUNDED, MS.SUBMITTED}),
    MS.DISPUTED: frozenset({MS.RESOLVED}),
    MS.RELEASED: frozenset(),
    MS.AUTO_RELEASED: frozenset(),
    MS.REFUNDED: frozenset(),
    MS.RESOLVED: frozenset(),
    MS.CANCELLED: frozenset(),
}

# Milestones whose escrow account must be empty: the money has left, once.
MILESTONE_SETTLED = frozenset({MS.RELEASED, MS.AUTO_RELEASED, MS.REFUNDED, MS.RESOLVED})
# Milestones whose escrow holds the money.
MILESTONE_HOLDING = frozenset(
    {MS.FUNDED, MS.SUBMITTED, MS.REVISION_REQUESTED, MS.REFUND_REQUESTED, MS.DISPUTED}
)
LIVE_BID = frozenset({BS.SUBMITTED, BS.AWARDED})


def _require(kind: str, table: dict, current: str, target: str) -> None:  # type: ignore[type-arg]
    allowed = table[type(next(iter(table)))(current)]
    if target not in allowed:
        raise Conflict(f"{kind} is {current}; it cannot become {target}", code=f"{kind}_{current}")


def require_order(current: str, target: OrderStatus) -> None:
    _require("order", ORDER_TRANSITIONS, current, target)


def require_bid(current: str, target: BidStatus) -> None:
    _require("bid", BID_TRANSITIONS, current, target)


def require_milestone(current: str, target: MilestoneStatus) -> None:
    _require("milestone", MILESTONE_TRANSITIONS, current, target)
