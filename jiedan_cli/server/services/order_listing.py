"""Finding orders: filters, visibility and keyset pagination by (created_at, id) descending.

SQL narrows the candidates (status, category, budget overlap, a lat/lon bounding box, a
LIKE on the tags' JSON); Python makes the exact tests (tag membership, haversine distance)
and keeps reading pages until `limit` orders pass or the table ends."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Text, and_, false, or_, select, type_coerce

from jiedan_cli.domain.categories import check_category
from jiedan_cli.domain.errors import InvalidInput, Unauthenticated
from jiedan_cli.domain.geo import bounding_box, haversine_km
from jiedan_cli.domain.order_rules import check_location
from jiedan_cli.domain.states import ANY_STATUS, OrderStatus, check_status_filter
from jiedan_cli.domain.timefmt import parse_rfc3339
from jiedan_cli.server.db.tables import orders
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.visibility import involves

LIMIT_MAX = 100
_SCAN_BATCH = 200  # rows read per round when Python filters some out

Position = tuple[datetime, str]


def encode_cursor(created_at: datetime, order_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), order_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, order_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(moment, str) or not isinstance(order_id, str):
            raise ValueError(cursor)
        return parse_rfc3339(moment), order_id
    except (ValueError, TypeError, binascii.Error, InvalidInput):
        raise InvalidInput("cursor: not a cursor this server gave", field="cursor") from None


def _after(position: Position) -> ColumnElement[bool]:
    created_at, order_id = position
    return or_(
        orders.c.created_at < created_at,
        and_(orders.c.created_at == created_at, orders.c.id < order_id),
    )


def _status_and_visibility(viewer: Actor | None, status: str) -> list[ColumnElement[bool]]:
    """Open orders are public; the others only for the people involved in them."""
    if status == OrderStatus.OPEN:
        return [orders.c.status == status]
    if viewer is None:
        return [orders.c.status == OrderStatus.OPEN] if status == ANY_STATUS else [false()]
    if status == ANY_STATUS:
        return [or_(orders.c.status == OrderStatus.OPEN, involves(viewer.id))]
    return [orders.c.status == status, involves(viewer.id)]


def _check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIMIT_MAX:
        raise InvalidInput(f"limit: a whole number from 1 to {LIMIT_MAX}", field="limit")
    return limit


def _budget_overlaps(low: int | None, high: int | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if low is not None:
        conditions.append(orders.c.budget_max_fen >= low)
    if high is not None:
        conditions.append(orders.c.budget_min_fen <= high)
    return conditions


def _near(lat: float, lon: float, radius_km: float) -> list[ColumnElement[bool]]:
    box = bounding_box(lat, lon, radius_km)
    conditions: list[ColumnElement[bool]] = [
        orders.c.lat.is_not(None),
        orders.c.lat.between(box.min_lat, box.max_lat),
    ]
    if box.min_lon is not None and box.max_lon is not None:
        conditions.append(orders.c.lon.between(box.min_lon, box.max_lon))
    return conditions


def find_orders(
    conn: Connection,
    viewer: Actor | None,
    *,
    status: str = OrderStatus.OPEN,
    category: str | None = None,
    tag: str | None = None,
    budget_min_fen: int | None = None,
    budget_max_fen: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    radius_km: float | None = None,
    mine: bool = False,
    limit: int = 20,
    cursor: str | None = None,
) -> tuple[list[Row[Any]], str | None]:
    """One page of orders, newest first, and the cursor of the next page (or None).

    `status` is an order status or "all"; budgets select orders whose range overlaps
    [budget_min_fen, budget_max_fen]; lat/lon/radius_km select orders whose place lies
    within radius_km of the point; `mine` keeps orders the viewer posted, bid on or won."""
    conditions = _status_and_visibility(viewer, check_status_filter(status))
    if mine:
        if viewer is None:
            raise Unauthenticated("sign in first to list your own orders")
        conditions.append(involves(viewer.id))
    if category is not None:
        conditions.append(orders.c.category == check_category(category))
    conditions += _budget_overlaps(budget_min_fen, budget_max_fen)
    point = check_location(lat, lon, radius_km)
    if point[0] is not None:
        conditions += _near(*point)
    if tag is not None:
        # The JSON text holds `"tag"`; the exact membership test follows in Python.
        token = json.dumps(tag, ensure_ascii=False)
        tags_text = type_coerce(orders.c.tags, Text)  # compare the stored text itself
        conditions.append(tags_text.contains(token, autoescape=True))

    def wanted(row: Row[Any]) -> bool:
        if tag is not None and tag not in row.tags:
            return False
        if point[0] is not None:
            return haversine_km(point[0], point[1], row.lat, row.lon) <= point[2]
        return True

    return _page(conn, conditions, wanted, _check_limit(limit), cursor, exact=tag or point[0])


def _page(
    conn: Connection,
    conditions: list[ColumnElement[bool]],
    wanted: Any,
    limit: int,
    cursor: str | None,
    *,
    exact: object,
) -> tuple[list[Row[Any]], str | None]:
    query = (
        select(orders).where(*conditions).order_by(orders.c.created_at.desc(), orders.c.id.desc())
    )
    position = decode_cursor(cursor) if cursor else None
    batch = _SCAN_BATCH if exact else limit + 1
    found: list[Row[Any]] = []
    while len(found) <= limit:
        page = query if position is None else query.where(_after(position))
        rows = conn.execute(page.limit(batch)).all()
        for row in rows:
            position = (row.created_at, row.id)
            if wanted(row):
                found.append(row)
                if len(found) > limit:
                    break
        if len(rows) < batch:
            break
    if len(found) > limit:
        last = found[limit - 1]
        return found[:limit], encode_cursor(last.created_at, last.id)
    return found, None
