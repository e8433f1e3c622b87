"""Milestones (里程碑): the unit escrow is funded and released by. Creation (within the
unverified freelancer's cap on the order's total) and the representation live here; the
money transitions live in `escrow.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select

from jiedan_cli.domain.account_limits import check_order_total
from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.money import CURRENCY, check_fen
from jiedan_cli.domain.states import MilestoneStatus
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import milestones, users
from jiedan_cli.server.services.changes import Kind, order_parties, publish, register
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows


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


register(
    Kind.MILESTONE,
    view=milestone_view,
    audience=lambda row, context: order_parties(context, row.order_id),
)


def create_milestone(
    conn: Connection,
    *,
    order_id: str,
    title: str,
    amount_fen: int,
    freelancer_id: str,
    now: datetime,
    unverified_max_order_fen: int | None,
    milestone_id: str | None = None,
) -> dict[str, Any]:
    """Add a milestone in `created` state to the order `freelancer_id` works on. Every
    milestone is made here, so the cap on an unverified freelancer's order total
    (`unverified_max_order_fen`, None: none) holds on every path: award, added milestones."""
    check_fen(amount_fen)
    check_order_cap(
        conn, order_id, freelancer_id, adding_fen=amount_fen, cap_fen=unverified_max_order_fen
    )
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
    row = conn.execute(select(milestones).where(milestones.c.id == new)).one()
    publish(conn, Kind.MILESTONE, row, now=now)
    return milestone_view(row)


# Milestones that no longer count towards the order's total: nothing was or will be paid.
_NOT_COUNTED = (MilestoneStatus.CANCELLED, MilestoneStatus.REFUNDED)


def check_order_cap(
    conn: Connection, order_id: str, freelancer_id: str, *, adding_fen: int, cap_fen: int | None
) -> None:
    """Refused (`freelancer_unverified`) when the order's milestones plus `adding_fen` would
    go above `cap_fen` and its freelancer has no real-name verification. The caller holds
    the order's lock, so concurrent additions are counted one after the other."""
    if cap_fen is None:
        return
    verification = conn.scalar(select(users.c.verification).where(users.c.id == freelancer_id))
    held = conn.scalar(
        select(func.coalesce(func.sum(milestones.c.amount_fen), 0)).where(
            milestones.c.order_id == order_id, milestones.c.status.not_in(_NOT_COUNTED)
        )
    )
    check_order_total(
        int(held or 0) + adding_fen,
        freelancer_verified=verification == "approved",
        cap_fen=cap_fen,
    )


def milestones_of(conn: Connection, order_id: str, page: PageRequest | None = None) -> Page:
    """The order's milestones in their order (`position`)."""
    query = select(milestones).where(milestones.c.order_id == order_id)
    rows, cursor = keyset_rows(conn, query, (milestones.c.position, milestones.c.id), page)
    return Page([milestone_view(r) for r in rows], cursor)
