"""Every move's precondition, stated once: who may make it on an order (by their seat at it:
its client, its awarded freelancer, another bidder, a stranger), from which statuses, and what
the order's milestones must hold. Each `may_*` returns the Refusal the server gives, or None;
`require` raises it as the error the server maps to an HTTP status and the command line to an
exit code. The server's services, the offline client (store.actions) and the dashboard all ask
here, so they refuse alike — the replica with the facts it last pulled."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jiedan_cli.domain.errors import Conflict, Forbidden, JiedanError, NotFound, Refused
from jiedan_cli.domain.states import MilestoneStatus, OrderStatus

OS, MS = OrderStatus, MilestoneStatus


class Role(StrEnum):
    """Who a user is to an order."""

    CLIENT = "client"  # posted it
    FREELANCER = "freelancer"  # was awarded it
    BIDDER = "bidder"  # bid on it (or asked about it) and was not awarded it
    STRANGER = "stranger"  # none of these


def role_of(
    me: str | None, client_id: str | None, freelancer_id: str | None, *, has_bid: bool
) -> Role:
    if me is not None and me == client_id:
        return Role.CLIENT
    if me is not None and me == freelancer_id:
        return Role.FREELANCER
    return Role.BIDDER if has_bid else Role.STRANGER


@dataclass(frozen=True)
class Seat:
    """An order as one user sits at it: what every move's rule looks at first."""

    order_id: str
    status: str
    role: Role

    @property
    def visible(self) -> bool:
        """A stranger sees open orders only (server services/visibility.can_read)."""
        return self.status == OS.OPEN or self.role is not Role.STRANGER

    @property
    def party(self) -> bool:
        return self.role in (Role.CLIENT, Role.FREELANCER)


def seat_at(order: Mapping[str, Any], me: str | None) -> Seat:
    """The order as the replica shows it to `me` (store/queries: a bid of mine on it,
    `my_bid`, or its being closed to me makes me one of its bidders). An order gone from the
    replica ({}) seats me as a stranger to an order in no status: every move is refused."""
    has_bid = bool(order.get("my_bid") or order.get("closed_to_me"))
    role = role_of(me, order.get("client_id"), order.get("freelancer_id"), has_bid=has_bid)
    return Seat(str(order.get("id") or ""), str(order.get("status") or ""), role)


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str
    error: type[JiedanError] = Conflict


def require(refusal: Refusal | None) -> None:
    """Raise the refusal as its error (Conflict, Forbidden, NotFound, Refused); None passes."""
    if refusal is not None:
        raise refusal.error(refusal.reason, code=refusal.code)


# ---- the pieces each rule is made of ---------------------------------------------------------

Milestones = Iterable[str] | None  # the order's milestone statuses as known; None: not known
WORKING = (OS.IN_PROGRESS, OS.DELIVERED)
HELD = (MS.FUNDED, MS.SUBMITTED, MS.REVISION_REQUESTED)
DISPUTABLE = (*HELD, MS.REFUND_REQUESTED)


def _unseen(seat: Seat) -> Refusal | None:
    if seat.visible:
        return None
    return Refusal(NotFound.code, f"no order {seat.order_id}", NotFound)


def may_act_as(seat: Seat, *roles: Role, reason: str = "") -> Refusal | None:
    """The first part of a move of the order's client / freelancer / parties (a server that
    replays an operation it has done checks it before the rest): the others who see the order
    are Forbidden, the rest do not see it."""
    if seat.role in roles:
        return None
    who = roles[0].value if len(roles) == 1 else "party"
    return _unseen(seat) or Refusal(
        Forbidden.code, reason or f"only the order's {who} can do this", Forbidden
    )


def _own(seat: Seat) -> Refusal | None:
    """A move on the client's own order: anyone else is told there is no such order of theirs."""
    if seat.role is Role.CLIENT:
        return None
    return _unseen(seat) or Refusal(NotFound.code, f"no order {seat.order_id} of yours", NotFound)


def _from(seat: Seat, starts: Iterable[str], reason: str | None = None) -> Refusal | None:
    """Refused unless the order is in one of `starts`: 'order is X; <reason>'."""
    starts = tuple(starts)
    if seat.status in starts:
        return None
    said = reason or f"this needs it {' or '.join(starts)}"
    return Refusal(f"order_{seat.status}", f"order is {seat.status}; {said}")


def _holds(
    milestones: Milestones, statuses: Iterable[str], code: str, reason: str
) -> Refusal | None:
    """Refused when the milestones are known and none is in `statuses` (an empty list is not
    known yet: an award the replica still queues)."""
    known = list(milestones or ())
    wanted = set(statuses)
    if not known or any(status in wanted for status in known):
        return None
    return Refusal(code, reason)


def _first(*checks: Callable[[], Refusal | None]) -> Refusal | None:
    for check in checks:
        refusal = check()
        if refusal is not None:
            return refusal
    return None


# ---- the client's moves ---------------------------------------------------------------------

FUNDABLE = (OS.AWARDED, OS.IN_PROGRESS, OS.DELIVERED)


def may_award(seat: Seat) -> Refusal | None:
    return _own(seat) or _from(seat, (OS.OPEN,), "only an open order can be awarded")


def may_edit(seat: Seat) -> Refusal | None:
    return _own(seat) or _from(seat, (OS.OPEN,), "only an open order can be edited")


def may_cancel(seat: Seat) -> Refusal | None:
    said = "only an open or awarded order can be cancelled"
    return _own(seat) or _from(seat, (OS.OPEN, OS.AWARDED), said)


def may_fund(seat: Seat, milestones: Milestones = None) -> Refusal | None:
    return _first(
        lambda: may_act_as(seat, Role.CLIENT, reason="only the order's client can fund it"),
        lambda: _from(
            seat,
            FUNDABLE,
            "award a bid first: an order is funded once awarded"
            if seat.status == OS.OPEN
            else "it cannot be funded",
        ),
        lambda: _holds(
            milestones,
            (MS.CREATED,),
            "nothing_to_fund",
            "every milestone of this order is funded already",
        ),
    )


def may_add_milestone(seat: Seat) -> Refusal | None:
    return may_act_as(seat, Role.CLIENT) or _from(seat, FUNDABLE)


def may_accept(seat: Seat, milestones: Milestones = None) -> Refusal | None:
    return _first(
        lambda: may_act_as(seat, Role.CLIENT),
        lambda: _from(seat, (OS.DELIVERED,)),
        lambda: _holds(
            milestones, (MS.SUBMITTED,), "nothing_to_accept", "no delivery awaits acceptance"
        ),
    )


def may_revise(seat: Seat) -> Refusal | None:
    return may_act_as(seat, Role.CLIENT) or _from(seat, (OS.DELIVERED,))


def may_request_refund(seat: Seat, milestones: Milestones = None) -> Refusal | None:
    return _first(
        lambda: may_act_as(seat, Role.CLIENT),
        lambda: _from(seat, WORKING),
        lambda: _holds(
            milestones, HELD, "nothing_to_refund", "nothing is held in escrow to refund"
        ),
    )


# ---- the freelancer's moves -----------------------------------------------------------------


def may_bid(seat: Seat, *, live_bid: bool = False) -> Refusal | None:
    """`live_bid`: I have a bid on the order still submitted or awarded."""
    if seat.role is Role.CLIENT:
        return Refusal("own_order", "you cannot bid on your own order", Refused)
    return _first(
        lambda: _unseen(seat),
        lambda: _from(seat, (OS.OPEN,), "bids are taken only while it is open"),
        lambda: (
            Refusal("bid_exists", "you already have a live bid on this order; update it")
            if live_bid
            else None
        ),
    )


def may_change_bid(bid_status: str, order_status: str) -> Refusal | None:
    """Update or withdraw my bid (finding it, and that it is mine, is the caller's)."""
    if bid_status != "submitted":
        return Refusal(f"bid_{bid_status}", f"bid is {bid_status}; it can no longer change")
    seat = Seat("", order_status, Role.BIDDER)
    return _from(seat, (OS.OPEN,), "bids change only while it is open")


def may_deliver(seat: Seat, milestones: Milestones = None) -> Refusal | None:
    return _first(
        lambda: may_act_as(seat, Role.FREELANCER),
        lambda: _from(seat, WORKING),
        lambda: _holds(
            milestones,
            (MS.FUNDED, MS.REVISION_REQUESTED),
            "nothing_to_deliver",
            "no funded milestone awaits a delivery",
        ),
    )


def may_approve_refund(seat: Seat, milestones: Milestones = None) -> Refusal | None:
    return _first(
        lambda: may_act_as(seat, Role.FREELANCER),
        lambda: _from(seat, WORKING),
        lambda: _holds(
            milestones,
            (MS.REFUND_REQUESTED,),
            "no_refund_requested",
            "no refund has been requested",
        ),
    )


# ---- either party's moves -------------------------------------------------------------------


def may_dispute(seat: Seat, milestones: Milestones = None) -> Refusal | None:
    return _first(
        lambda: may_act_as(seat, Role.CLIENT, Role.FREELANCER),
        lambda: _from(seat, WORKING),
        lambda: _holds(
            milestones, DISPUTABLE, "nothing_to_dispute", "nothing is held in escrow to dispute"
        ),
    )


def may_review(seat: Seat, *, reviewed: bool = False) -> Refusal | None:
    """`reviewed`: I have reviewed this order already (a refused review does not count)."""
    if not seat.party:
        return Refusal(NotFound.code, f"no order {seat.order_id} of yours", NotFound)
    return _from(seat, (OS.COMPLETED,), "reviews open once it is completed") or (
        Refusal("review_exists", "you have reviewed this order already") if reviewed else None
    )


def may_message(seat: Seat, *, thread_closed: bool) -> Refusal | None:
    """Write in the order's thread with one freelancer (domain/threads.thread_closed): anyone
    may ask about an open order; after that only its client and the freelancers who bid or
    asked; once awarded, the threads with the others are closed."""
    if seat.role is Role.STRANGER and seat.status != OS.OPEN:
        return Refusal(
            NotFound.code, f"no message thread of yours on order {seat.order_id}", NotFound
        )
    if thread_closed:
        return Refusal(
            "thread_closed", "the order went to another freelancer; this message thread is closed"
        )
    return None


def may_resolve(order_status: str) -> Refusal | None:
    """Staff split a disputed order's escrow (who may is staff_rules')."""
    return _from(Seat("", order_status, Role.STRANGER), (OS.DISPUTED,))


# ---- what is open to a role ------------------------------------------------------------------

# The client's moves the dashboard's client mode offers, in the order its hint lists them.
CLIENT_MOVES: dict[str, Callable[[Seat, Milestones], Refusal | None]] = {
    "award": lambda seat, _milestones: may_award(seat),
    "fund": may_fund,
    "accept": may_accept,
    "revise": lambda seat, _milestones: may_revise(seat),
    "cancel": lambda seat, _milestones: may_cancel(seat),
}


def open_moves(
    seat: Seat,
    milestones: Milestones = None,
    moves: dict[str, Callable[[Seat, Milestones], Refusal | None]] = CLIENT_MOVES,
) -> list[str]:
    """The moves of `moves` nothing refuses at `seat`, in their order."""
    known = list(milestones) if milestones is not None else None
    return [name for name, rule in moves.items() if rule(seat, known) is None]
