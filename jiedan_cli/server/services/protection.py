"""The protection fund (保险机制, the seed; #12): `platform:protection`, fed by a share of every
fee (settlement.py, `protection:<milestone>`, in the fee's own posting), paid out by staff to
a defrauded party of a disputed order — the freelancer's available balance, or back out to
the client's payment method (as a refund goes).

Finance and admins move this money (security.md: finance is who handles the platform's money;
support settles disputes with the parties' own escrow, not the platform's). Never more than
the fund holds: refused in plain words before posting, and the ledger's conditional debit
refuses it again under a race. Each payout's id is chosen by the caller before it submits
(`compensation:<id>`), so a retried request returns the first payout and moves nothing more.
Every payout is audited twice: the ledger's `ledger.transfer` and the staff decision
`protection.compensated`, with its reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from jiedan_cli.domain.errors import Conflict, InvalidInput, Refused
from jiedan_cli.domain.ids import check_id
from jiedan_cli.domain.ledger import PLATFORM_PROTECTION, Transfer, external, freelancer_available
from jiedan_cli.domain.money import CURRENCY, check_fen, format_yuan
from jiedan_cli.domain.order_rules import check_text
from jiedan_cli.server.db.tables import disputes, ledger_transfers, orders
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.ledger import balance, post_transfer
from jiedan_cli.server.services.rows import fetch_for_update
from jiedan_cli.server.services.settlement import PROVIDER
from jiedan_cli.server.services.staff_rules import refuse_party

COMPENSATORS = ("finance", "admin")
RECIPIENTS = ("client", "freelancer")
REASON_MAX = 500


def fund_view(conn: Connection, staff: Actor) -> dict[str, Any]:
    """What the fund holds (finance, admins)."""
    staff.require(*COMPENSATORS)
    held = balance(conn, PLATFORM_PROTECTION)
    return {
        "account": PLATFORM_PROTECTION,
        "balance_fen": held,
        "balance_yuan": format_yuan(held),
        "currency": CURRENCY,
    }


def compensate(
    conn: Connection,
    staff: Actor,
    *,
    order_id: str,
    to: str,
    amount_fen: int,
    reason: str,
    compensation_id: str,
    now: datetime,
) -> dict[str, Any]:
    """Pay `amount_fen` from the fund to the order's client or freelancer (`to`); the order
    must have had a dispute. A known `compensation_id` returns its payout (same fields) or is
    a Conflict (other fields)."""
    staff.require(*COMPENSATORS)
    new = check_id(compensation_id, field="id")
    check_fen(amount_fen)
    if to not in RECIPIENTS:
        raise InvalidInput("to: client or freelancer", field="to")
    reason = check_text(reason, field="reason", max_len=REASON_MAX, required=True)
    order = fetch_for_update(conn, orders, order_id, what="order")
    refuse_party(staff, [order.client_id, order.freelancer_id], what="an order")
    if _no_dispute(conn, order.id):
        raise Conflict(
            f"order {order.id} has had no dispute: compensation follows a dispute's decision",
            code="not_disputed",
        )
    recipient = order.client_id if to == "client" else order.freelancer_id
    transfer = Transfer(
        f"compensation:{new}",
        PLATFORM_PROTECTION,
        external(PROVIDER) if to == "client" else freelancer_available(recipient),
        amount_fen,
        "compensation",
        order.id,
    )
    known = conn.execute(
        select(ledger_transfers.c.id).where(ledger_transfers.c.id == transfer.id)
    ).first()
    if known is None:
        _refuse_beyond_the_fund(conn, amount_fen)
    posted = post_transfer(conn, transfer, now=now, actor_id=staff.id)
    if known is None:
        audit(
            conn,
            "protection.compensated",
            now=now,
            actor_id=staff.id,
            target=order.id,
            transfer_id=transfer.id,
            to=to,
            recipient_id=recipient,
            amount_fen=amount_fen,
            reason=reason,
        )
    return {
        "id": new,
        "transfer_id": posted["id"],
        "order_id": order.id,
        "to": to,
        "recipient_id": recipient,
        "amount_fen": amount_fen,
        "currency": CURRENCY,
        "created_at": posted["created_at"],
    }


def _no_dispute(conn: Connection, order_id: str) -> bool:
    found: Row[Any] | None = conn.execute(
        select(disputes.c.id).where(disputes.c.order_id == order_id).limit(1)
    ).first()
    return found is None


def _refuse_beyond_the_fund(conn: Connection, amount_fen: int) -> None:
    held = balance(conn, PLATFORM_PROTECTION)
    if amount_fen > held:
        raise Refused(
            f"the protection fund holds ¥{format_yuan(held)}: it cannot pay"
            f" ¥{format_yuan(amount_fen)}",
            code="insufficient_funds",
        )
