"""Orders (订单): post, edit, cancel, show, list. Open orders are public; a non-open order is
followed only by its client and its awarded freelancer (or, cancelled before any award, the
freelancers who bid on it). The other bidders see it once more, at the award, as closed to
them (`order_views.closed_view`): no winner, no later changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    insert,
    select,
    update,
)

from jiedan_cli.domain.categories import check_category
from jiedan_cli.domain.contacts import masked
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.ids import check_id, new_id
from jiedan_cli.domain.moves import Role, Seat, may_cancel, may_edit, require
from jiedan_cli.domain.order_rules import (
    CANCEL_NOTE_MAX,
    EDITABLE,
    check_budget,
    check_deadline,
    check_description,
    check_location,
    check_tags,
    check_text,
    check_title,
)
from jiedan_cli.domain.risk import Action
from jiedan_cli.domain.states import LIVE_BID, MilestoneStatus, OrderStatus
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import bids, milestones, order_events, orders
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.bids import bid_view
from jiedan_cli.server.services.changes import Kind, order_parties, publish, register
from jiedan_cli.server.services.order_listing import find_orders
from jiedan_cli.server.services.order_views import order_view, record_order, view_for
from jiedan_cli.server.services.risk import Origin, gate
from jiedan_cli.server.services.visibility import own_order, readable_order


def live_bid_views(
    conn: Connection, viewer: Actor | None, order_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """The viewer's live bid on each of `order_ids`, keyed by order id."""
    if viewer is None or not order_ids:
        return {}
    rows = conn.execute(
        select(bids).where(
            bids.c.order_id.in_(order_ids),
            bids.c.freelancer_id == viewer.id,
            bids.c.status.in_([str(s) for s in LIVE_BID]),
        )
    )
    return {row.order_id: bid_view(row) for row in rows}


# ---- operations ---------------------------------------------------------------------------


def _clean_fields(fields: dict[str, Any], *, today: date) -> dict[str, Any]:
    """Validate order fields (any subset of EDITABLE) into column values."""
    values: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "title":  # read by every freelancer before the award: contacts masked
            values["title"] = masked(check_title(value))
        elif key == "description":
            values["description"] = masked(check_description(value))
        elif key == "category":
            values["category"] = check_category(value)
        elif key == "tags":
            values["tags"] = check_tags(value)
        elif key == "deadline":
            values["deadline"] = check_deadline(value, today=today)
        elif key == "location":
            if value is not None and not isinstance(value, dict):
                raise InvalidInput("location: {lat, lon, radius_km} or null", field="location")
            place = value or {}
            extra = set(place) - {"lat", "lon", "radius_km"}
            if extra:
                raise InvalidInput(f"location: unknown field {sorted(extra)[0]}", field="location")
            lat, lon, radius = check_location(
                place.get("lat"), place.get("lon"), place.get("radius_km")
            )
            values.update(lat=lat, lon=lon, radius_km=radius)
        elif key not in ("budget_min_fen", "budget_max_fen"):
            raise InvalidInput(f"{key}: not a field an order's client may set", field=key)
    return values


def post_order(
    conn: Connection,
    actor: Actor,
    *,
    title: str,
    description: str,
    category: str,
    tags: list[str],
    budget_min_fen: int,
    budget_max_fen: int,
    deadline: date | str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    radius_km: float | None = None,
    now: datetime,
    order_id: str | None = None,
    origin: Origin | None = None,
) -> dict[str, Any]:
    actor.require("client")
    new = check_id(order_id) if order_id is not None else new_id()
    place = {"lat": lat, "lon": lon, "radius_km": radius_km}
    location = None if all(v is None for v in place.values()) else place
    values = _clean_fields(
        {
            "title": title,
            "description": description,
            "category": category,
            "tags": tags,
            "deadline": deadline,
            "location": location,
        },
        today=now.date(),
    )
    budget = check_budget(budget_min_fen, budget_max_fen)
    if conn.execute(select(orders.c.id).where(orders.c.id == new)).first() is not None:
        raise InvalidInput(f"id: order {new} exists already", field="id")
    gate(conn, actor, Action.POST, origin, now=now, amount_fen=budget[1], object_id=new)
    conn.execute(
        insert(orders).values(
            id=new,
            client_id=actor.id,
            budget_min_fen=budget[0],
            budget_max_fen=budget[1],
            status=OrderStatus.OPEN,
            bid_count=0,
            created_at=now,
            updated_at=now,
            **values,
        )
    )
    return order_view(record_order(conn, new, now=now))


def edit_order(
    conn: Connection, actor: Actor, order_id: str, changes: dict[str, Any], *, now: datetime
) -> dict[str, Any]:
    """Change any of EDITABLE while the order is open; `deadline`/`location` may be None."""
    order = own_order(conn, actor, order_id)
    require(may_edit(Seat(order.id, order.status, Role.CLIENT)))
    unknown = set(changes) - EDITABLE
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(f"{field}: not a field an order's client may set", field=field)
    for key in EDITABLE - {"deadline", "location"}:
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{key}: may not be null", field=key)
    values = _clean_fields(changes, today=now.date())
    budget = check_budget(
        changes.get("budget_min_fen", order.budget_min_fen),
        changes.get("budget_max_fen", order.budget_max_fen),
    )
    values.update(budget_min_fen=budget[0], budget_max_fen=budget[1])
    conn.execute(update(orders).where(orders.c.id == order_id).values(updated_at=now, **values))
    return order_view(record_order(conn, order_id, now=now))


def add_order_event(
    conn: Connection,
    order: Row[Any],
    *,
    actor_id: str | None,
    kind: str,
    note: str,
    now: datetime,
) -> dict[str, Any]:
    """A line in the order's history (cancelled, revision_requested …), seen by both parties."""
    event = {
        "id": new_id(),
        "order_id": order.id,
        "actor_id": actor_id,
        "kind": kind,
        "note": note,
        "created_at": rfc3339(now),
    }
    conn.execute(insert(order_events).values({**event, "created_at": now}))
    publish(conn, Kind.ORDER_EVENT, event, now=now, order=order)
    return event


# An event is published as add_order_event builds it (a dict, its times as the API shows them).
register(
    Kind.ORDER_EVENT,
    view=dict,
    audience=lambda event, context: order_parties(context, event["order_id"]),
    key=lambda event: str(event["id"]),
)


def cancel_order(
    conn: Connection, actor: Actor, order_id: str, *, now: datetime, note: str = ""
) -> dict[str, Any]:
    """Cancel an open or awarded order: submitted bids are declined and the unfunded
    milestones cancelled. Later cancellations go through a refund (escrow.py)."""
    from jiedan_cli.server.services.bids import decline_bids, live_bid_count

    order = own_order(conn, actor, order_id)
    require(may_cancel(Seat(order.id, order.status, Role.CLIENT)))
    # the lock order: the order row (own_order), then its milestones, then the bids
    _cancel_unfunded_milestones(conn, order, now=now)
    decline_bids(conn, order, now=now)
    conn.execute(
        update(orders)
        .where(orders.c.id == order_id)
        .values(
            status=OrderStatus.CANCELLED,
            bid_count=live_bid_count(conn, order_id),
            updated_at=now,
        )
    )
    note = check_text(note, field="note", max_len=CANCEL_NOTE_MAX)
    add_order_event(conn, order, actor_id=actor.id, kind="cancelled", note=note, now=now)
    return order_view(record_order(conn, order_id, now=now))


def _cancel_unfunded_milestones(conn: Connection, order: Row[Any], *, now: datetime) -> None:
    cancelled = conn.execute(
        update(milestones)
        .where(milestones.c.order_id == order.id, milestones.c.status == MilestoneStatus.CREATED)
        .values(status=MilestoneStatus.CANCELLED, updated_at=now)
        .returning(*milestones.c)
    ).all()
    for row in sorted(cancelled, key=lambda m: m.position):
        publish(conn, Kind.MILESTONE, row, now=now, order=order)


def get_order(conn: Connection, viewer: Actor | None, order_id: str) -> dict[str, Any]:
    row = readable_order(conn, viewer, order_id)
    return view_for(viewer, row, my_bid=live_bid_views(conn, viewer, [row.id]).get(row.id))


def list_orders(conn: Connection, viewer: Actor | None, **filters: Any) -> dict[str, Any]:
    """{items, next_cursor}: see `order_listing.find_orders` for the filters."""
    rows, next_cursor = find_orders(conn, viewer, **filters)
    mine = live_bid_views(conn, viewer, [row.id for row in rows])
    return {
        "items": [view_for(viewer, row, my_bid=mine.get(row.id)) for row in rows],
        "next_cursor": next_cursor,
    }
