"""Locking and moving the rows escrow works on. Lock order, everywhere: the order row, then
its milestones (by position), then ledger accounts (sorted, in ledger.py) — and all of them
before the first change-log append, which changes.py defers to just before the commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from jiedan_cli.domain.states import OrderStatus, require_milestone, require_order
from jiedan_cli.server.db.tables import milestones, orders
from jiedan_cli.server.services.changes import Kind, publish
from jiedan_cli.server.services.milestones import milestone_view
from jiedan_cli.server.services.order_views import order_view, record_order


def lock_milestones(conn: Connection, order_id: str) -> list[Row[Any]]:
    """The order's milestones by position, locked (call with the order row locked)."""
    query = select(milestones).where(milestones.c.order_id == order_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return list(conn.execute(query.order_by(milestones.c.position)))


def set_milestone(
    conn: Connection, order: Row[Any], milestone_id: str, *, now: datetime, **values: Any
) -> dict[str, Any]:
    """Update a milestone (checking a status change against the state machine) and publish
    it to the order's two parties."""
    if "status" in values:
        current = conn.scalar(select(milestones.c.status).where(milestones.c.id == milestone_id))
        require_milestone(str(current), values["status"])
    row = conn.execute(
        update(milestones)
        .where(milestones.c.id == milestone_id)
        .values(updated_at=now, **values)
        .returning(*milestones.c)
    ).one()
    publish(conn, Kind.MILESTONE, row, now=now, order=order)
    return milestone_view(row)


def set_order_status(
    conn: Connection, order: Row[Any], target: OrderStatus, *, now: datetime
) -> dict[str, Any]:
    """Move the order (checked against the state machine; staying put is no change) and
    return its view."""
    current = conn.execute(select(orders).where(orders.c.id == order.id)).one()
    if current.status == target:
        return order_view(current)
    require_order(current.status, target)
    conn.execute(
        update(orders).where(orders.c.id == order.id).values(status=target, updated_at=now)
    )
    return order_view(record_order(conn, order.id, now=now))
