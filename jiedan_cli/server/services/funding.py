"""Funding escrow through a payment provider, and the provider's signed notification.

How the sandbox's "asynchronous" notification is delivered: `fund_order` only creates a
`pending` payment intent, inside the caller's transaction; no money moves there. Once that
transaction has committed, whoever opened it delivers: the REST route its own intent
(`deliver_own_notification`, which also reads the answer in the credit's transaction), the
sync push and a staff release their orders' (`deliver_pending_notifications(db, settings,
now, order_ids=[…])`, for each sandbox intent of those orders still pending). Each builds the
provider's signed notification and puts it through the webhook's code path (`POST
/v1/payments/sandbox/notify`: signature, timestamp, amount, event dedup), each in its own
transaction.
So `client fund` returns with the order `in_progress`, and a crash between the two steps
leaves an intent that the scheduled `sandbox_payments` job notifies (it alone sweeps every
pending intent: with many processes, each fund request delivering everything pending
multiplied the work and the lock waits)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, select, update

from jiedan_cli.domain import moves
from jiedan_cli.domain.errors import Conflict, NotFound
from jiedan_cli.domain.ids import check_id
from jiedan_cli.domain.ledger import Transfer, escrow, external
from jiedan_cli.domain.money import CURRENCY
from jiedan_cli.domain.risk import Action
from jiedan_cli.domain.states import MilestoneStatus, OrderStatus, require_milestone
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import milestones, orders, payment_events, payment_intents
from jiedan_cli.server.payments.base import provider_named
from jiedan_cli.server.payments.sandbox import (
    Notification,
    notification_for,
    verify_notification,
)
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.escrow_state import lock_milestones, set_milestone, set_order_status
from jiedan_cli.server.services.first_order_coupons import (
    attach,
    claim_coupon,
    coupon_in,
    coupon_of_intent,
    coupon_of_intent_column,
)
from jiedan_cli.server.services.ledger import insert_or_ignore, post_transfers
from jiedan_cli.server.services.order_views import order_view
from jiedan_cli.server.services.risk import Origin, gate
from jiedan_cli.server.services.rows import fetch_for_update
from jiedan_cli.server.services.visibility import readable_order, seat_of

log = logging.getLogger("jiedan.payments")

PROVIDER = "sandbox"
# The order states in which money may still come into escrow.
FUNDABLE_ORDER = frozenset(moves.FUNDABLE)


def intent_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "provider": row.provider,
        "order_id": row.order_id,
        "milestone_id": row.milestone_id,
        "amount_fen": row.amount_fen,
        "currency": CURRENCY,
        "status": row.status,
        "created_at": rfc3339(row.created_at),
    }


def _milestone_to_fund(conn: Connection, seat: moves.Seat, milestone_id: str | None) -> Row[Any]:
    rows = lock_milestones(conn, seat.order_id)
    if milestone_id is not None:
        milestone_id = check_id(milestone_id, field="milestone_id")
        chosen = next((r for r in rows if r.id == milestone_id), None)
        if chosen is None:
            raise NotFound(f"no milestone {milestone_id} on this order")
        require_milestone(chosen.status, MilestoneStatus.FUNDED)
        return chosen
    moves.require(moves.may_fund(seat, [str(r.status) for r in rows]))
    return next(r for r in rows if r.status == MilestoneStatus.CREATED)


def fund_order(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str,
    now: datetime,
    milestone_id: str | None = None,
    origin: Origin | None = None,
    coupon_cap_fen: int = 0,
) -> dict[str, Any]:
    """The client pays a milestone (the first unfunded one by default) into escrow: a pending
    payment intent; escrow is credited when the provider's notification arrives (see the
    module docstring). Repeating it while the intent is pending returns the same intent.
    A client's first payment is the milestone less the first-order coupon, when one is on
    (`coupon_cap_fen`, services/first_order_coupons.py). Returns {order, milestone,
    payment_intent}."""
    order = readable_order(conn, actor, order_id, lock=True)
    seat = seat_of(conn, actor, order)
    moves.require(moves.may_fund(seat))
    milestone = _milestone_to_fund(conn, seat, milestone_id)
    pending = conn.execute(
        select(payment_intents).where(
            payment_intents.c.milestone_id == milestone.id, payment_intents.c.status == "pending"
        )
    ).first()
    if pending is None:  # a repeat while it is pending is not a new payment: not assessed
        gate(
            conn,
            actor,
            Action.FUND,
            origin,
            now=now,
            amount_fen=milestone.amount_fen,
            counterpart_id=order.freelancer_id,
            object_id=milestone.id,
        )
        coupon = claim_coupon(
            conn,
            actor.id,
            order_id=order.id,
            milestone_id=milestone.id,
            amount_fen=milestone.amount_fen,
            cap_fen=coupon_cap_fen,
            now=now,
        )
        to_pay = milestone.amount_fen - coupon
        intent_id = provider_named(PROVIDER).create_intent(to_pay, milestone.id)
        if coupon:
            attach(conn, actor.id, intent_id)
        conn.execute(
            payment_intents.insert().values(
                id=intent_id,
                provider=PROVIDER,
                order_id=order.id,
                milestone_id=milestone.id,
                amount_fen=to_pay,
                status="pending",
                created_at=now,
                updated_at=now,
            )
        )
        audit(
            conn,
            "payment.intent_created",
            now=now,
            actor_id=actor.id,
            target=intent_id,
            order_id=order.id,
            milestone_id=milestone.id,
            amount_fen=to_pay,
            coupon_fen=coupon,
        )
        set_milestone(conn, order, milestone.id, now=now, payment_intent_id=intent_id)
        return funding_view(conn, order.id, milestone.id, intent_id)
    return funding_view(conn, order.id, milestone.id, pending.id)


def funding_view(
    conn: Connection, order_id: str, milestone_id: str, intent_id: str
) -> dict[str, Any]:
    """{order, milestone, payment_intent} as they stand now (the intent is the milestone's,
    the milestone the order's), in one SELECT: the three rows by their keys and the intent's
    coupon (services/first_order_coupons.coupon_of_intent)."""
    from jiedan_cli.server.services.milestones import milestone_view

    row = conn.execute(
        select(orders, milestones, payment_intents, coupon_of_intent_column().label("coupon_fen"))
        .select_from(
            orders.join(milestones, milestones.c.order_id == orders.c.id).join(
                payment_intents, payment_intents.c.milestone_id == milestones.c.id
            )
        )
        .where(orders.c.id == order_id)
        .where(milestones.c.id == milestone_id)
        .where(payment_intents.c.id == intent_id)
    ).one()
    intent = _part(row, payment_intents)
    return {
        "order": order_view(_part(row, orders)),
        "milestone": milestone_view(_part(row, milestones)),
        "payment_intent": {**intent_view(intent), "coupon_fen": int(row.coupon_fen or 0)},
    }


def _part(row: Row[Any], table: Table) -> Row[Any]:
    """One table's columns of a joined row, read as a row of that table alone (`.id`,
    `.status` …, all the views use): a joined row's shared names (id, status) are ambiguous."""
    return cast(Row[Any], SimpleNamespace(**{c.name: row._mapping[c] for c in table.c}))


# ---- the notification ---------------------------------------------------------------------


def receive_sandbox_notification(
    db: Database,
    settings: Settings,
    *,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Verify a notification (BadSignature / BadNotification from payments.sandbox), then
    credit escrow once per intent in one transaction. A replayed event is a no-op. A refusal
    writes nothing: the caller decides whether it is worth an audit line
    (`record_refused_notification`), so a flood of forged ones cannot fill the log."""
    note = verify_notification(settings.sandbox_webhook_secret, body, signature, timestamp, now)
    with db.write() as conn:
        return credit_payment(conn, note, now=now)


def record_refused_notification(db: Database, *, reason: str, address: str, now: datetime) -> None:
    with db.write() as conn:
        audit(conn, "payment.notification_refused", now=now, address=address, reason=reason)


def credit_payment(conn: Connection, note: Notification, *, now: datetime) -> dict[str, Any]:
    """Apply a verified notification: external → escrow (kind "fund"), milestone funded,
    order awarded → in_progress. Returns {event_id, intent_id, outcome}."""
    # The intent's order, locked first (as fund_order locks it), found through the intent.
    query = (
        select(orders)
        .join(payment_intents, payment_intents.c.order_id == orders.c.id)
        .where(payment_intents.c.id == note.intent_id)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=orders)
    order = conn.execute(query).first()
    if order is None:
        raise NotFound(f"no payment intent {note.intent_id}")
    intent = fetch_for_update(conn, payment_intents, note.intent_id, what="payment intent")
    milestone = fetch_for_update(conn, milestones, intent.milestone_id, what="milestone")
    if note.amount_fen != intent.amount_fen or note.status != "succeeded":
        raise Conflict("the notification does not match its intent", code="intent_mismatch")
    first_time = insert_or_ignore(
        conn,
        payment_events,
        event_id=note.event_id,
        provider=PROVIDER,
        intent_id=intent.id,
        received_at=now,
    )
    result = {"event_id": note.event_id, "intent_id": intent.id}
    if not first_time or intent.status != "pending":
        return {**result, "outcome": "duplicate"}
    fund = Transfer(
        id=f"fund:{intent.id}",
        source=external(PROVIDER),
        destination=escrow(milestone.id),
        amount_fen=intent.amount_fen,
        kind="fund",
        order_id=order.id,
        milestone_id=milestone.id,
    )
    fundable = milestone.status == MilestoneStatus.CREATED and order.status in FUNDABLE_ORDER
    if not fundable:
        # The order moved on (cancelled, disputed) while the payer paid: the money came in
        # and goes straight back out, both recorded. A coupon on it is not paid in at all
        # (and stays used: one per client).
        refund = Transfer(
            id=f"refund:{intent.id}",
            source=escrow(milestone.id),
            destination=external(PROVIDER),
            amount_fen=intent.amount_fen,
            kind="refund",
            order_id=order.id,
            milestone_id=milestone.id,
        )
        post_transfers(conn, [fund, refund], now=now)
        _mark_intent(conn, intent.id, "succeeded", now=now)
        return {**result, "outcome": "refunded"}
    coupon = coupon_in(intent.id, milestone.id, order.id, coupon_of_intent(conn, intent.id))
    post_transfers(conn, [fund, *coupon], now=now)
    _mark_intent(conn, intent.id, "succeeded", now=now)
    set_milestone(conn, order, milestone.id, now=now, status=MilestoneStatus.FUNDED, funded_at=now)
    if order.status == OrderStatus.AWARDED:
        set_order_status(conn, order, OrderStatus.IN_PROGRESS, now=now)
    return {**result, "outcome": "funded"}


def _mark_intent(conn: Connection, intent_id: str, status: str, *, now: datetime) -> None:
    conn.execute(
        update(payment_intents)
        .where(payment_intents.c.id == intent_id)
        .values(status=status, updated_at=now)
    )
    audit(conn, f"payment.{status}", now=now, target=intent_id)


def deliver_pending_notifications(
    db: Database, settings: Settings, now: datetime, *, order_ids: Sequence[str] | None = None
) -> int:
    """Play the sandbox provider: notify the sandbox intents still pending — those of
    `order_ids` (what a fund request just made), or every one (the scheduled job's sweep) —
    each through the webhook's own verification and in its own transaction. Returns how
    many funded."""
    query = (
        select(payment_intents.c.id, payment_intents.c.amount_fen)
        .where(payment_intents.c.provider == PROVIDER, payment_intents.c.status == "pending")
        .order_by(payment_intents.c.created_at)
    )
    if order_ids is not None:
        if not order_ids:
            return 0
        query = query.where(payment_intents.c.order_id.in_(sorted(set(order_ids))))
    with db.read() as conn:
        pending = conn.execute(query).all()
    credited = 0
    for intent_id, amount_fen in pending:
        try:
            result = receive_sandbox_notification(
                db, settings, **_signed(settings, intent_id, amount_fen, now), now=now
            )
        except Exception:  # one bad intent must not stop the others; it is retried later
            log.exception("sandbox notification for %s failed", intent_id)
            continue
        credited += result["outcome"] == "funded"
    return credited


def _signed(settings: Settings, intent_id: str, amount_fen: int, now: datetime) -> dict[str, Any]:
    """The sandbox provider's notification of an intent, as its webhook receives it."""
    body, headers = notification_for(
        settings.sandbox_webhook_secret, intent_id=intent_id, amount_fen=amount_fen, now=now
    )
    return {
        "body": body,
        "signature": headers["X-Sandbox-Signature"],
        "timestamp": headers["X-Sandbox-Timestamp"],
    }


def deliver_own_notification(
    db: Database, settings: Settings, now: datetime, started: dict[str, Any]
) -> dict[str, Any]:
    """What `POST …/fund` answers once `fund_order` (its result: `started`) has committed:
    its own intent, when still a pending sandbox one, notified through the webhook's own
    verification and credit (as `receive_sandbox_notification`), and {order, milestone,
    payment_intent} read in that credit's transaction. Only that intent: the order's other
    leftovers are the scheduled job's to sweep (docs/decisions.md). A failed notification
    is logged (the job retries it) and the answer read as it stands."""
    intent = started["payment_intent"]
    ids = (intent["order_id"], intent["milestone_id"], intent["id"])
    if intent["status"] == "pending" and intent["provider"] == PROVIDER:
        try:
            signed = _signed(settings, intent["id"], intent["amount_fen"], now)
            note = verify_notification(settings.sandbox_webhook_secret, **signed, now=now)
            with db.write() as conn:
                credit_payment(conn, note, now=now)
                return funding_view(conn, *ids)
        except Exception:
            log.exception("sandbox notification for %s failed", intent["id"])
    with db.read() as conn:
        return funding_view(conn, *ids)
