"""An order as each reader sees it (`order_view`, closed to a bidder who lost it:
`closed_view`, `view_for`), who follows it once it is no longer open (`readers_of`), and its
change-log feed (`record_order`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from jiedan_cli.domain.money import CURRENCY
from jiedan_cli.domain.states import OrderStatus
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import orders
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.changes import (
    PUBLIC,
    Audience,
    Context,
    Kind,
    publish,
    publish_deletion,
    register,
)
from jiedan_cli.server.services.visibility import is_closed_to


def order_view(row: Row[Any], *, my_bid: dict[str, Any] | None = None) -> dict[str, Any]:
    location = None
    if row.lat is not None:
        location = {"lat": row.lat, "lon": row.lon, "radius_km": row.radius_km}
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "category": row.category,
        "tags": list(row.tags),
        "budget_min_fen": row.budget_min_fen,
        "budget_max_fen": row.budget_max_fen,
        "currency": CURRENCY,
        "status": row.status,
        "client_id": row.client_id,
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "bid_count": row.bid_count,
        "awarded_bid_id": row.awarded_bid_id,
        "freelancer_id": row.freelancer_id,
        "location": location,
        "my_bid": my_bid,
        "closed_to_me": False,
    }


def closed_view(row: Row[Any]) -> dict[str, Any]:
    """An order as a bidder who did not win it sees it from the award on: awarded, to
    nobody they may know, and `closed_to_me` — they are told nothing after this."""
    return {
        **order_view(row),
        "status": OrderStatus.AWARDED.value,
        "awarded_bid_id": None,
        "freelancer_id": None,
        "closed_to_me": True,
    }


def record_order(
    conn: Connection, order_id: str, *, now: datetime, row: Row[Any] | None = None
) -> Row[Any]:
    """Publish an order — public while open, to its parties after — from `row` as the write
    RETURNING gave it, or re-read after the write.

    An order leaves `open` only by the award or by a cancellation before any: those two
    changes (and no later one) tell every replica to drop it. It is recorded as `awarded`
    once only, by the award (no state leads back to it): that change also hands every other
    bidder the order as closed to them, the last they hear of it (the feed's `once`)."""
    if row is None:
        row = conn.execute(select(orders).where(orders.c.id == order_id)).one()
    awarded = row.status == OrderStatus.AWARDED
    if row.status != OrderStatus.OPEN and (awarded or row.freelancer_id is None):
        # Only open orders are public (GET answers 404 to strangers once an order is
        # awarded): every replica drops the order, then its parties get it back.
        publish_deletion(conn, Kind.ORDER, order_id, audience=PUBLIC, now=now)
    publish(conn, Kind.ORDER, row, now=now, once=awarded)
    return row


def _followers(row: Any, context: Context) -> Audience:
    """Everyone while the order is open; then its client and freelancer (every bidder,
    cancelled before an award)."""
    if row.status == OrderStatus.OPEN:
        return PUBLIC
    return readers_of(row.client_id, row.freelancer_id, context.bidders(row.id))[0]


def _losers(row: Any, context: Context) -> Audience:
    """The bidders a non-open order is closed to (none while open)."""
    if row.status == OrderStatus.OPEN:
        return []
    return readers_of(row.client_id, row.freelancer_id, context.bidders(row.id))[1]


register(Kind.ORDER, view=order_view, audience=_followers, once=((closed_view, _losers),))


def readers_of(
    client_id: str, freelancer_id: str | None, bidder_ids: Iterable[str]
) -> tuple[list[str], list[str]]:
    """(who follows a non-open order, the bidders it is closed to): once awarded, its
    client and its freelancer follow it, and it is closed to every other bidder; cancelled
    before any award, the client and every bidder get its last state."""
    bidders = sorted(set(bidder_ids) - {client_id})
    if freelancer_id is None:
        return [client_id, *bidders], []
    return [client_id, freelancer_id], [b for b in bidders if b != freelancer_id]


def view_for(
    viewer: Actor | None, order: Row[Any], *, my_bid: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The order as `viewer` (who may read it) sees it: closed to a bidder who lost it."""
    if order.status != OrderStatus.OPEN and is_closed_to(viewer, order):
        return {**closed_view(order), "my_bid": my_bid}
    return order_view(order, my_bid=my_bid)
