"""Escrow (资金托管): the work and money transitions of an awarded order (money.md).

Every transition locks the order row, then its milestones, and re-checks their state under
the lock, so concurrent accept / auto-release / resolve / refund attempts queue and only the
first finds anything to do. Money moves in `settlement.py`, funding in `funding.py`."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from jiedan_cli.domain import moves
from jiedan_cli.domain.errors import InvalidInput, NotFound
from jiedan_cli.domain.ids import check_id, new_id
from jiedan_cli.domain.ledger import DEFAULT_PROTECTION_SHARE_PCT
from jiedan_cli.domain.moves import Role, Seat, require
from jiedan_cli.domain.order_rules import check_note
from jiedan_cli.domain.states import MilestoneStatus, OrderStatus
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import disputes, milestones, orders
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.changes import Kind, order_parties, publish, register
from jiedan_cli.server.services.deliveries import (
    add_delivery,
    check_files,
    delivery_view,
    find_delivery,
)
from jiedan_cli.server.services.escrow_state import lock_milestones, set_milestone, set_order_status
from jiedan_cli.server.services.funding import fund_order
from jiedan_cli.server.services.order_views import order_view
from jiedan_cli.server.services.orders import add_order_event
from jiedan_cli.server.services.pages import Page, PageRequest
from jiedan_cli.server.services.rows import fetch_for_update
from jiedan_cli.server.services.settlement import (
    lock_profile,
    refund_milestone,
    release_milestone,
    resolve_milestone,
    settle_order,
)
from jiedan_cli.server.services.staff_rules import refuse_party
from jiedan_cli.server.services.visibility import readable_order, seat_of

__all__ = [
    "accept_order",
    "approve_refund",
    "auto_release_due",
    "deliver",
    "fund_order",
    "open_dispute",
    "request_refund",
    "request_revision",
    "resolve_dispute",
]

log = logging.getLogger("jiedan.escrow")
MS, OS = MilestoneStatus, OrderStatus


def _order_as(conn: Connection, actor: Actor, order_id: str, *roles: Role) -> tuple[Row[Any], Seat]:
    """The order, locked, and the actor's seat at it, when `actor` is its client / awarded
    freelancer (domain/moves.may_act_as: a stranger gets NotFound, another bidder Forbidden);
    the rest of the move's rule is checked once the arguments are."""
    order = readable_order(conn, actor, order_id, lock=True)
    seat = seat_of(conn, actor, order)
    require(moves.may_act_as(seat, *roles))
    return order, seat


def _statuses(rows: list[Row[Any]]) -> list[str]:
    return [str(row.status) for row in rows]


def _in(rows: list[Row[Any]], *statuses: MilestoneStatus) -> list[Row[Any]]:
    return [r for r in rows if r.status in statuses]


# ---- work -----------------------------------------------------------------------------------


def deliver(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str,
    note: str,
    files: list[dict[str, Any]],
    now: datetime,
    delivery_id: str | None = None,
    max_file_bytes: int | None = None,
) -> dict[str, Any]:
    """The awarded freelancer hands in work for the next funded milestone: milestone
    submitted (the auto-release clock starts), order delivered. Returns the delivery.
    A file over `max_file_bytes` (the server's cap on uploads) is refused: TooLarge."""
    from jiedan_cli.domain.delivery_files import check_file_size

    order, seat = _order_as(conn, actor, order_id, Role.FREELANCER)
    note, files = check_note(note), check_files(files)
    if max_file_bytes is not None:
        for item in files:
            check_file_size(item["size"], max_file_bytes, name=item["name"])
    new = check_id(delivery_id) if delivery_id is not None else new_id()
    known = find_delivery(conn, new)
    if known is not None:
        if known.order_id != order.id or known.freelancer_id != actor.id:
            raise InvalidInput(f"id: delivery {new} exists already", field="id")
        return delivery_view(known)
    require(moves.may_deliver(seat))
    rows = lock_milestones(conn, order.id)
    require(moves.may_deliver(seat, _statuses(rows)))
    milestone = _in(rows, MS.FUNDED, MS.REVISION_REQUESTED)[0]
    view = add_delivery(
        conn, order, delivery_id=new, milestone_id=milestone.id, note=note, files=files, now=now
    )
    set_milestone(conn, order, milestone.id, now=now, status=MS.SUBMITTED, submitted_at=now)
    set_order_status(conn, order, OS.DELIVERED, now=now)
    return view


def request_revision(
    conn: Connection, actor: Actor, *, order_id: str, note: str, now: datetime
) -> dict[str, Any]:
    """The client sends the delivery back: order in_progress, milestone revision_requested."""
    order, seat = _order_as(conn, actor, order_id, Role.CLIENT)
    note = check_note(note)
    require(moves.may_revise(seat))
    for milestone in _in(lock_milestones(conn, order.id), MS.SUBMITTED):
        set_milestone(conn, order, milestone.id, now=now, status=MS.REVISION_REQUESTED)
    view = set_order_status(conn, order, OS.IN_PROGRESS, now=now)
    add_order_event(conn, order, actor_id=actor.id, kind="revision_requested", note=note, now=now)
    return view


# ---- release ---------------------------------------------------------------------------------


def accept_order(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str,
    now: datetime,
    protection_pct: int = DEFAULT_PROTECTION_SHARE_PCT,
) -> dict[str, Any]:
    """The client accepts the delivery: each submitted milestone is released to the
    freelancer less the fee (`protection_pct`% of it on to the protection fund); the order
    completes when nothing else is left."""
    order, seat = _order_as(conn, actor, order_id, Role.CLIENT)
    require(moves.may_accept(seat))
    rows = lock_milestones(conn, order.id)
    require(moves.may_accept(seat, _statuses(rows)))
    submitted = _in(rows, MS.SUBMITTED)
    lock_profile(conn, order.freelancer_id)
    for milestone in submitted:
        release_milestone(
            conn,
            order,
            milestone,
            status=MS.RELEASED,
            now=now,
            actor_id=actor.id,
            protection_pct=protection_pct,
        )
    audit(conn, "escrow.accepted", now=now, actor_id=actor.id, target=order.id)
    return settle_order(conn, order, now=now)


def auto_release_due(db: Database, settings: Settings, now: datetime) -> int:
    """Release every milestone submitted `settings.auto_release_days` ago or more and still
    unanswered (status auto_released), each in its own transaction. Returns how many."""
    cutoff = now - timedelta(days=settings.auto_release_days)
    with db.read() as conn:
        due = conn.execute(
            select(milestones.c.id, milestones.c.order_id)
            .where(milestones.c.status == MS.SUBMITTED, milestones.c.submitted_at <= cutoff)
            .order_by(milestones.c.submitted_at)
        ).all()
    released = 0
    for milestone_id, order_id in due:
        try:
            with db.write() as conn:
                released += _auto_release(
                    conn,
                    order_id,
                    milestone_id,
                    cutoff,
                    now=now,
                    protection_pct=settings.protection_share_pct,
                )
        except Exception:  # one stuck milestone must not hold up the others; retried next run
            log.exception("auto-release of milestone %s failed", milestone_id)
    return released


def _auto_release(
    conn: Connection,
    order_id: str,
    milestone_id: str,
    cutoff: datetime,
    *,
    now: datetime,
    protection_pct: int,
) -> int:
    order = fetch_for_update(conn, orders, order_id, what="order")
    rows = lock_milestones(conn, order_id)
    milestone = next((r for r in rows if r.id == milestone_id), None)
    # Re-checked under the lock: the client may have answered meanwhile.
    if milestone is None or milestone.status != MS.SUBMITTED or milestone.submitted_at > cutoff:
        return 0
    lock_profile(conn, order.freelancer_id)
    release_milestone(
        conn,
        order,
        milestone,
        status=MS.AUTO_RELEASED,
        now=now,
        actor_id=None,
        protection_pct=protection_pct,
    )
    audit(conn, "escrow.auto_released", now=now, target=milestone_id, order_id=order_id)
    settle_order(conn, order, now=now)
    return 1


# ---- refunds ---------------------------------------------------------------------------------


def request_refund(
    conn: Connection, actor: Actor, *, order_id: str, reason: str, now: datetime
) -> dict[str, Any]:
    """The client asks for the escrowed money back; the freelancer approves (or either
    opens a dispute). A delivery under review goes back to in_progress."""
    order, seat = _order_as(conn, actor, order_id, Role.CLIENT)
    reason = check_note(reason, field="reason")
    require(moves.may_request_refund(seat))
    rows = lock_milestones(conn, order.id)
    require(moves.may_request_refund(seat, _statuses(rows)))
    held = _in(rows, *moves.HELD)
    for milestone in held:
        set_milestone(conn, order, milestone.id, now=now, status=MS.REFUND_REQUESTED)
    view = set_order_status(conn, order, OS.IN_PROGRESS, now=now)
    add_order_event(conn, order, actor_id=actor.id, kind="refund_requested", note=reason, now=now)
    return view


def approve_refund(
    conn: Connection, actor: Actor, *, order_id: str, now: datetime
) -> dict[str, Any]:
    """The freelancer agrees: escrow goes back out to the payer; the order is cancelled
    (completed if earlier milestones were paid)."""
    order, seat = _order_as(conn, actor, order_id, Role.FREELANCER)
    require(moves.may_approve_refund(seat))
    rows = lock_milestones(conn, order.id)
    require(moves.may_approve_refund(seat, _statuses(rows)))
    asked = _in(rows, MS.REFUND_REQUESTED)
    lock_profile(conn, order.freelancer_id)
    for milestone in asked:
        refund_milestone(conn, order, milestone, now=now, actor_id=actor.id)
    for milestone in _in(rows, MS.CREATED):  # the agreement ends: nothing more to fund
        set_milestone(conn, order, milestone.id, now=now, status=MS.CANCELLED)
    audit(conn, "escrow.refunded", now=now, actor_id=actor.id, target=order.id)
    add_order_event(conn, order, actor_id=actor.id, kind="refund_approved", note="", now=now)
    return settle_order(conn, order, now=now)


# ---- disputes --------------------------------------------------------------------------------


def dispute_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_id": row.order_id,
        "opened_by": row.opened_by,
        "reason": row.reason,
        "status": row.status,
        "to_freelancer_pct": row.to_freelancer_pct,
        "resolved_by": row.resolved_by,
        "created_at": rfc3339(row.created_at),
        "resolved_at": rfc3339(row.resolved_at),
    }


register(
    Kind.DISPUTE,
    view=dispute_view,
    audience=lambda row, context: order_parties(context, row.order_id),
)


def _record_dispute(conn: Connection, order: Row[Any], dispute_id: str, *, now: datetime) -> None:
    row = conn.execute(select(disputes).where(disputes.c.id == dispute_id)).one()
    publish(conn, Kind.DISPUTE, row, now=now, order=order)


def open_dispute(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str,
    reason: str,
    now: datetime,
    dispute_id: str | None = None,
) -> dict[str, Any]:
    """Either party freezes the escrowed money for staff to split (纠纷/仲裁)."""
    order, seat = _order_as(conn, actor, order_id, Role.CLIENT, Role.FREELANCER)
    reason = check_note(reason, field="reason")
    new = check_id(dispute_id) if dispute_id is not None else new_id()
    known = conn.execute(select(disputes).where(disputes.c.id == new)).first()
    if known is not None:
        if known.order_id != order.id:
            raise InvalidInput(f"id: dispute {new} exists already", field="id")
        return order_view(order)
    require(moves.may_dispute(seat))
    rows = lock_milestones(conn, order.id)
    require(moves.may_dispute(seat, _statuses(rows)))
    held = _in(rows, *moves.DISPUTABLE)
    conn.execute(
        insert(disputes).values(
            id=new,
            order_id=order.id,
            opened_by=actor.id,
            reason=reason,
            status="open",
            created_at=now,
        )
    )
    for milestone in held:
        set_milestone(conn, order, milestone.id, now=now, status=MS.DISPUTED)
    _record_dispute(conn, order, new, now=now)
    audit(conn, "dispute.opened", now=now, actor_id=actor.id, target=order.id, dispute_id=new)
    return set_order_status(conn, order, OS.DISPUTED, now=now)


def resolve_dispute(
    conn: Connection,
    staff: Actor,
    *,
    order_id: str,
    to_freelancer_pct: int,
    now: datetime,
    protection_pct: int = DEFAULT_PROTECTION_SHARE_PCT,
) -> dict[str, Any]:
    """Staff split each disputed milestone: `to_freelancer_pct`% to the freelancer (less the
    usual fee, on their share only), the rest refunded to the payer. The order completes
    if the freelancer got anything, else it is cancelled."""
    staff.require("admin", "support")
    if (
        isinstance(to_freelancer_pct, bool)
        or not isinstance(to_freelancer_pct, int)
        or not (0 <= to_freelancer_pct <= 100)
    ):
        raise InvalidInput(
            "to_freelancer_pct: a whole number from 0 to 100", field="to_freelancer_pct"
        )
    order = fetch_for_update(conn, orders, order_id, what="order")
    refuse_party(staff, [order.client_id, order.freelancer_id], what="an order")
    require(moves.may_resolve(order.status))
    rows = lock_milestones(conn, order.id)
    lock_profile(conn, order.freelancer_id)
    for milestone in _in(rows, MS.DISPUTED):
        resolve_milestone(
            conn,
            order,
            milestone,
            to_freelancer_pct,
            now=now,
            actor_id=staff.id,
            protection_pct=protection_pct,
        )
    for milestone in _in(rows, MS.CREATED):
        set_milestone(conn, order, milestone.id, now=now, status=MS.CANCELLED)
    opened = (
        conn.execute(
            select(disputes.c.id).where(
                disputes.c.order_id == order.id, disputes.c.status == "open"
            )
        )
        .scalars()
        .all()
    )
    for dispute_id in opened:
        conn.execute(
            update(disputes)
            .where(disputes.c.id == dispute_id)
            .values(
                status="resolved",
                to_freelancer_pct=to_freelancer_pct,
                resolved_by=staff.id,
                resolved_at=now,
            )
        )
        _record_dispute(conn, order, dispute_id, now=now)
    audit(
        conn,
        "dispute.resolved",
        now=now,
        actor_id=staff.id,
        target=order.id,
        to_freelancer_pct=to_freelancer_pct,
    )
    return settle_order(conn, order, now=now)


def list_milestones(
    conn: Connection, actor: Actor, order_id: str, page: PageRequest | None = None
) -> Page:
    from jiedan_cli.server.services.milestones import milestones_of

    _party_view(conn, actor, order_id)
    return milestones_of(conn, order_id, page)


def list_deliveries(
    conn: Connection, actor: Actor, order_id: str, page: PageRequest | None = None
) -> Page:
    from jiedan_cli.server.services.deliveries import deliveries_of

    _party_view(conn, actor, order_id)
    return deliveries_of(conn, order_id, page)


def add_milestone(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str,
    title: str,
    amount_fen: int,
    now: datetime,
    milestone_id: str | None = None,
    unverified_max_order_fen: int | None = None,
) -> dict[str, Any]:
    """The client splits the work further: a new milestone to fund (awarded or working),
    within the cap on an unverified freelancer's order total (configured; None: no cap)."""
    from jiedan_cli.server.services.milestones import create_milestone

    order, seat = _order_as(conn, actor, order_id, Role.CLIENT)
    require(moves.may_add_milestone(seat))
    if not isinstance(title, str) or not 0 < len(title.strip()) <= 200:
        raise InvalidInput("title: 1 to 200 characters", field="title")
    new = check_id(milestone_id, field="id") if milestone_id is not None else new_id()
    if conn.execute(select(milestones.c.id).where(milestones.c.id == new)).first():
        raise InvalidInput(f"id: milestone {new} exists already", field="id")
    return create_milestone(
        conn,
        order_id=order.id,
        title=title.strip(),
        amount_fen=amount_fen,
        freelancer_id=order.freelancer_id,
        now=now,
        unverified_max_order_fen=unverified_max_order_fen,
        milestone_id=new,
    )


def _party_view(conn: Connection, actor: Actor, order_id: str) -> Row[Any]:
    """Milestones and deliveries are private to the two parties (404 for anyone else)."""
    order = readable_order(conn, actor, order_id)
    if actor.id not in (order.client_id, order.freelancer_id):
        raise NotFound(f"no order {order_id} of yours")
    return order
