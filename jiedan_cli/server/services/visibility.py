"""Who may see which order: the orders a user is involved in (`involves`, as a filter), whether
a viewer may read one (`can_read`; a stranger sees open orders only), the order if so
(`readable_order`, else NotFound: never a hint that it exists), the order of its own client
(`own_order`), and whether it is closed to a bidder who lost it (`is_closed_to`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, bindparam, exists, or_, select

from jiedan_cli.domain.errors import NotFound
from jiedan_cli.domain.moves import Seat, role_of
from jiedan_cli.domain.states import OrderStatus
from jiedan_cli.server.db.tables import bids, orders
from jiedan_cli.server.services.actors import Actor


def involves(user_id: str) -> ColumnElement[bool]:
    """Orders `user_id` posted, was awarded, or bid on (a bid in any state)."""
    return or_(
        orders.c.client_id == user_id,
        orders.c.freelancer_id == user_id,
        exists().where(bids.c.order_id == orders.c.id, bids.c.freelancer_id == user_id),
    )


def has_bid_on(conn: Connection, order_id: str, user_id: str) -> bool:
    found = conn.execute(
        select(bids.c.id).where(bids.c.order_id == order_id, bids.c.freelancer_id == user_id)
    ).first()
    return found is not None


def is_closed_to(viewer: Actor | None, order: Row[Any]) -> bool:
    """Whether `viewer`, who may read the order, sees it closed (a bidder who lost it)."""
    return (
        order.freelancer_id is not None
        and viewer is not None
        and viewer.id not in (order.client_id, order.freelancer_id)
    )


def can_read(conn: Connection, viewer: Actor | None, order: Row[Any]) -> bool:
    if order.status == OrderStatus.OPEN:
        return True
    if viewer is None:
        return False
    if viewer.id in (order.client_id, order.freelancer_id):
        return True
    return has_bid_on(conn, order.id, viewer.id)


def seat_of(conn: Connection, actor: Actor, order: Row[Any]) -> Seat:
    """The order as `actor` sits at it, for the rules of domain/moves.py (whether a non-party
    bid on it is asked only of them)."""
    party = actor.id in (order.client_id, order.freelancer_id)
    has_bid = not party and has_bid_on(conn, order.id, actor.id)
    role = role_of(actor.id, order.client_id, order.freelancer_id, has_bid=has_bid)
    return Seat(order.id, order.status, role)


_ORDER = select(orders).where(orders.c.id == bindparam("order_id"))
_ORDER_FOR_UPDATE = _ORDER.with_for_update()


def readable_order(
    conn: Connection, viewer: Actor | None, order_id: str, *, lock: bool = False
) -> Row[Any]:
    """The order if `viewer` may see it; NotFound otherwise (never a hint that it exists)."""
    # `lock` takes the row lock on PostgreSQL, as rows.fetch_for_update does (SQLite write
    # transactions are exclusive already); the statements are built once (hot path).
    locking = lock and conn.dialect.name == "postgresql"
    query = _ORDER_FOR_UPDATE if locking else _ORDER
    row = conn.execute(query, {"order_id": order_id}).first()
    if row is None or not can_read(conn, viewer, row):
        raise NotFound(f"no order {order_id}")
    return row


def own_order(conn: Connection, actor: Actor, order_id: str) -> Row[Any]:
    """The order, locked, when `actor` is its client; NotFound for everyone else."""
    row = readable_order(conn, actor, order_id, lock=True)
    if row.client_id != actor.id:
        raise NotFound(f"no order {order_id} of yours")
    return row
