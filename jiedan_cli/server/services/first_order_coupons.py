"""The clients' first-order coupon (新客首单券, #13). A client's first payment into escrow costs
them the milestone less a coupon (domain/coupons.py: JIEDAN_SERVER_FIRST_ORDER_COUPON_FEN, at
most half the payment); the platform pays the coupon's share into escrow from
`external:platform` through `platform:promotions`, in the posting that credits the payment, so
escrow holds the whole milestone and the release is the usual one.

- **Once per client**: the `first_order_coupons` row (primary key the client) is claimed in the
  transaction that makes the first payment intent; a retried or replayed funding answers the
  pending intent and claims nothing, and the transfers are named by the intent
  (`coupon-fund:<intent>`, `coupon:<intent>`), so a repeated notification moves nothing.
- **Abuse-checked**: withheld (amount 0, the reason kept) when the client's install was seen
  with an account that had one (services/devices.shares_an_install_with_any); the risk engine
  assesses the funding before any of this, at the milestone's full amount.
- **Never cash**: on a refund, a cancellation's refund or a split, the coupon's share of what
  goes back (domain/coupons.coupon_back_fen, rounded up) returns to the platform through
  `platform:promotions` (`coupon-back:<m>`, `coupon-return:<m>`); the client gets the rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from jiedan_cli.domain.coupons import MAX_SHARE_PCT, coupon_back_fen, first_order_coupon_fen
from jiedan_cli.domain.ledger import PLATFORM_PROMOTIONS, PROMOTIONS_FUNDING, Transfer, escrow
from jiedan_cli.domain.money import CURRENCY
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import (
    first_order_coupons,
    ledger_transfers,
    orders,
    payment_intents,
)
from jiedan_cli.server.services.changes import Kind, publish, register
from jiedan_cli.server.services.devices import shares_an_install_with_any
from jiedan_cli.server.services.ledger import insert_or_ignore

COUPON_KIND = "coupon"  # the ledger kind of the transfers into and back out of escrow
SHARED_INSTALL = "withheld: this install was used by another account that had a first-order coupon"
NOT_FIRST = "only a client's first payment gets a first-order coupon"


def coupon_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.user_id,
        "order_id": row.order_id,
        "milestone_id": row.milestone_id,
        "amount_fen": int(row.amount_fen),
        "currency": CURRENCY,
        "status": row.status,
        "reason": row.reason,
        "created_at": rfc3339(row.created_at),
    }


register(
    Kind.FIRST_ORDER_COUPON,
    view=coupon_view,
    audience=lambda row, _context: [row.user_id],
    key=lambda row: str(row.user_id),
)


def _has_paid_before(conn: Connection, client_id: str) -> bool:
    """Whether the client asked to pay for anything before (an intent of any status)."""
    query = (
        select(payment_intents.c.id)
        .select_from(payment_intents.join(orders, orders.c.id == payment_intents.c.order_id))
        .where(orders.c.client_id == client_id)
        .limit(1)
    )
    return conn.execute(query).first() is not None


def _used_one() -> Any:
    return select(first_order_coupons.c.user_id).where(first_order_coupons.c.status == "applied")


def claim_coupon(
    conn: Connection,
    client_id: str,
    *,
    order_id: str,
    milestone_id: str,
    amount_fen: int,
    cap_fen: int,
    now: datetime,
) -> int:
    """The coupon on this payment (0: none), claimed for good when there is one to decide: the
    client's first payment, with the coupon on. Call before the intent is made; `attach` names
    the intent after."""
    coupon = first_order_coupon_fen(amount_fen, cap_fen)
    if not coupon or _has_paid_before(conn, client_id):
        return 0
    withheld = shares_an_install_with_any(conn, client_id, _used_one())
    claimed = insert_or_ignore(
        conn,
        first_order_coupons,
        user_id=client_id,
        order_id=order_id,
        milestone_id=milestone_id,
        amount_fen=0 if withheld else coupon,
        status="withheld" if withheld else "applied",
        reason=SHARED_INSTALL if withheld else None,
        created_at=now,
    )
    if not claimed:  # a concurrent first payment of another order took it
        return 0
    _publish(conn, client_id, now=now)
    return 0 if withheld else coupon


def attach(conn: Connection, client_id: str, intent_id: str) -> None:
    conn.execute(
        update(first_order_coupons)
        .where(first_order_coupons.c.user_id == client_id)
        .values(intent_id=intent_id)
    )


def _publish(conn: Connection, client_id: str, *, now: datetime) -> None:
    row = conn.execute(
        select(first_order_coupons).where(first_order_coupons.c.user_id == client_id)
    ).one()
    publish(conn, Kind.FIRST_ORDER_COUPON, row, now=now)


def _applied_to(intent_id: Any) -> Any:
    return select(first_order_coupons.c.amount_fen).where(
        first_order_coupons.c.intent_id == intent_id,
        first_order_coupons.c.status == "applied",
    )


def coupon_of_intent(conn: Connection, intent_id: str) -> int:
    """The coupon applied to a payment intent (0: none)."""
    return int(conn.scalar(_applied_to(intent_id)) or 0)


def coupon_of_intent_column() -> Any:
    """`coupon_of_intent` as a column of a SELECT that has payment_intents (NULL: none)."""
    return _applied_to(payment_intents.c.id).limit(1).scalar_subquery()


def coupon_in(intent_id: str, milestone_id: str, order_id: str, coupon_fen: int) -> list[Transfer]:
    """The platform's share of a payment into escrow: from outside into platform:promotions and
    on into escrow, in the credit's posting (promotions ends it at zero)."""
    if coupon_fen <= 0:
        return []
    return [
        Transfer(f"coupon-fund:{intent_id}", PROMOTIONS_FUNDING, PLATFORM_PROMOTIONS, coupon_fen,
                 "promotion", order_id, milestone_id),
        Transfer(f"coupon:{intent_id}", PLATFORM_PROMOTIONS, escrow(milestone_id), coupon_fen,
                 COUPON_KIND, order_id, milestone_id),
    ]  # fmt: skip


def coupon_back(
    conn: Connection, milestone: Row[Any], order_id: str, refunded_fen: int
) -> tuple[int, list[Transfer]]:
    """Of `refunded_fen` leaving a milestone's escrow, the coupon's share (what the ledger
    says came in as one) and the transfers that take it back to the platform."""
    came_in = conn.scalar(
        select(func.coalesce(func.sum(ledger_transfers.c.amount_fen), 0)).where(
            ledger_transfers.c.destination == escrow(milestone.id),
            ledger_transfers.c.kind == COUPON_KIND,
        )
    )
    back = coupon_back_fen(int(came_in or 0), int(milestone.amount_fen), refunded_fen)
    if not back:
        return 0, []
    return back, [
        Transfer(f"coupon-back:{milestone.id}", escrow(milestone.id), PLATFORM_PROMOTIONS, back,
                 COUPON_KIND, order_id, milestone.id),
        Transfer(f"coupon-return:{milestone.id}", PLATFORM_PROMOTIONS, PROMOTIONS_FUNDING, back,
                 "promotion", order_id, milestone.id),
    ]  # fmt: skip


def coupon_standing(conn: Connection, client_id: str, *, cap_fen: int) -> dict[str, Any]:
    """What `jiedan account status` says of the caller's coupon: `available` (with the most
    it is worth), `applied` or `withheld` (with the order and the reason), `not_eligible`
    (a payment was made before, or the install rule), or `off` (the setting is 0)."""
    row = conn.execute(
        select(first_order_coupons).where(first_order_coupons.c.user_id == client_id)
    ).first()
    if row is not None:
        return {**coupon_view(row), "max_share_pct": MAX_SHARE_PCT}
    base = {"id": client_id, "order_id": None, "milestone_id": None, "currency": CURRENCY,
            "created_at": None, "max_share_pct": MAX_SHARE_PCT}  # fmt: skip
    if cap_fen <= 0:
        return {**base, "status": "off", "amount_fen": 0, "reason": None}
    if _has_paid_before(conn, client_id):
        return {**base, "status": "not_eligible", "amount_fen": 0, "reason": NOT_FIRST}
    if shares_an_install_with_any(conn, client_id, _used_one()):
        return {**base, "status": "not_eligible", "amount_fen": 0, "reason": SHARED_INSTALL}
    return {**base, "status": "available", "amount_fen": cap_fen, "reason": None}
