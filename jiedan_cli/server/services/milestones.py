"""Milestones (里程碑): the unit escrow is funded and released by. Creation and the
representation live here; the money transitions live in `escrow.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select

from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.money import CURRENCY, check_fen
from jiedan_cli.domain.states import MilestoneStatus
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import milestones
from jiedan_cli.server.services.changes import record_change


def milestone_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_id": row.order_id,
        "position": row.position,
        "title": row.title,
        "amount_fen": row.amount_fen,
        "currency": CURRENCY,
        "status": row.status,
        "funded_at": rfc3339(row.funded_at),
        "submitted_at": rfc3339(row.submitted_at),
        "settled_at": rfc3339(row.settled_at),
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }


def create_milestone(
    conn: Connection,
    *,
    order_id: str,
    title: str,
    amount_fen: int,
    audience: tuple[str, str],
    now: datetime,
    milestone_id: str | None = None,
) -> dict[str, Any]:
    """Add a milestone in `created` state; `audience` is (client_id, freelancer_id)."""
    check_fen(amount_fen)
    position = conn.scalar(
        select(func.coalesce(func.max(milestones.c.position), 0) + 1).where(
            milestones.c.order_id == order_id
        )
    )
    new = milestone_id or new_id()
    conn.execute(
        insert(milestones).values(
            id=new,
            order_id=order_id,
            position=position,
            title=title,
            amount_fen=amount_fen,
            status=MilestoneStatus.CREATED,
            created_at=now,
            updated_at=now,
        )
    )
    view = milestone_view(conn.execute(select(milestones).where(milestones.c.id == new)).one())
    record_change(conn, "milestone", new, view, now=now, audience=audience)
    return view


def milestones_of(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(milestones).where(milestones.c.order_id == order_id).order_by(milestones.c.position)
    )
    return [milestone_view(r) for r in rows]
