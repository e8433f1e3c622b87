"""Earnings (收入) of the signed-in user: what is withdrawable, what is still in escrow, what
was earned and paid in fees, the ledger lines of their accounts, and withdrawals (提现)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, Row, func, insert, or_, select

from jiedan_cli.domain.account_limits import (
    CAP_RULE,
    WITHDRAWAL_WINDOW,
    NewAccountLimit,
    OverCap,
    withdrawal_over_cap,
)
from jiedan_cli.domain.errors import Held, InvalidInput
from jiedan_cli.domain.ids import check_id, new_id
from jiedan_cli.domain.ledger import PAYOUT_KINDS, Transfer, external, freelancer_available
from jiedan_cli.domain.money import CURRENCY, check_fen, check_withdrawal
from jiedan_cli.domain.risk import Action
from jiedan_cli.domain.states import MILESTONE_HOLDING
from jiedan_cli.domain.timefmt import parse_date, rfc3339
from jiedan_cli.server.db.tables import (
    ledger_accounts,
    ledger_transfers,
    milestones,
    orders,
    payouts,
    users,
)
from jiedan_cli.server.payments.base import provider_named
from jiedan_cli.server.services import holds
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.changes import Kind, publish, register
from jiedan_cli.server.services.ledger import (
    balance,
    entry_view,
    lock_accounts,
    post_transfer,
)
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows
from jiedan_cli.server.services.risk import Origin, gate

PROVIDER = "sandbox"


def _sum(conn: Connection, query: Any) -> int:
    return int(conn.scalar(query) or 0)


def earnings_summary(conn: Connection, actor: Actor) -> dict[str, Any]:
    t, m, o = ledger_transfers.c, milestones.c, orders.c
    account = freelancer_available(actor.id)
    mine = select(o.id).where(o.freelancer_id == actor.id)
    return {
        "available_fen": balance(conn, account),
        "pending_fen": _sum(
            conn,
            select(func.sum(m.amount_fen)).where(
                m.order_id.in_(mine), m.status.in_([str(s) for s in MILESTONE_HOLDING])
            ),
        ),
        "lifetime_fen": _sum(
            conn,
            select(func.sum(t.amount_fen)).where(
                t.destination == account, t.kind.in_(PAYOUT_KINDS)
            ),
        ),
        "fees_fen": _sum(
            conn, select(func.sum(t.amount_fen)).where(t.kind == "fee", t.order_id.in_(mine))
        ),
        "currency": CURRENCY,
    }


def ledger_entries(
    conn: Connection,
    actor: Actor,
    since: date | str | None = None,
    page: PageRequest | None = None,
) -> Page:
    """Every line on the caller's accounts (signed: credits positive), oldest first,
    optionally from the start (UTC) of `since`. Paged by transfer: `limit` counts transfers,
    and one between two of the caller's accounts is its two lines, on one page."""
    accounts = list(
        conn.execute(
            select(ledger_accounts.c.id).where(ledger_accounts.c.owner_id == actor.id)
        ).scalars()
    )
    if not accounts:
        return Page()
    t = ledger_transfers.c
    query = select(ledger_transfers).where(or_(t.source.in_(accounts), t.destination.in_(accounts)))
    if since is not None:
        day = parse_date(since, field="since") if isinstance(since, str) else since
        query = query.where(t.created_at >= datetime.combine(day, time.min, tzinfo=UTC))
    rows, cursor = keyset_rows(conn, query, (t.created_at, t.id), page)
    fees = _fees_of_milestones(conn, [r.milestone_id for r in rows if r.kind in PAYOUT_KINDS])
    entries = []
    for row in rows:
        fee = fees.get(row.milestone_id, 0) if row.kind in PAYOUT_KINDS else 0
        for account in (row.source, row.destination):
            if account in accounts:
                entries.append(entry_view(row, account, fee_fen=fee))
    return Page(entries, cursor)


def _fees_of_milestones(conn: Connection, milestone_ids: list[str]) -> dict[str, int]:
    """milestone id → the platform fee withheld from its payout (entry_view's `fee_fen`)."""
    if not milestone_ids:
        return {}
    t = ledger_transfers.c
    found = conn.execute(
        select(t.milestone_id, t.amount_fen).where(
            t.kind == "fee", t.milestone_id.in_(milestone_ids)
        )
    )
    return {row.milestone_id: row.amount_fen for row in found}


def payout_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "amount_fen": row.amount_fen,
        "currency": CURRENCY,
        "provider": row.provider,
        "provider_ref": row.provider_ref,
        "status": row.status,
        "created_at": rfc3339(row.created_at),
    }


register(Kind.PAYOUT, view=payout_view, audience=lambda row, _: (row.user_id,))


def _over_cap(
    conn: Connection, actor: Actor, amount_fen: int, limit: NewAccountLimit, *, now: datetime
) -> OverCap | None:
    """The new-account limit, against what the caller withdrew in the last 24 hours. The
    caller's available account is locked, so their withdrawals are counted one by one."""
    user = conn.execute(
        select(users.c.created_at, users.c.verification).where(users.c.id == actor.id)
    ).one()
    withdrawn = conn.scalar(
        select(func.coalesce(func.sum(payouts.c.amount_fen), 0)).where(
            payouts.c.user_id == actor.id, payouts.c.created_at > now - WITHDRAWAL_WINDOW
        )
    )
    return withdrawal_over_cap(
        amount_fen,
        withdrawn_in_window_fen=int(withdrawn or 0),
        account_created_at=user.created_at,
        verified=user.verification == "approved",
        now=now,
        limit=limit,
    )


def _gate_withdrawal(
    conn: Connection,
    actor: Actor,
    origin: Origin | None,
    over_cap: OverCap | None,
    *,
    amount_fen: int,
    payout_id: str,
    now: datetime,
) -> None:
    """The risk engine's gate, then the new-account cap: a withdrawal past the cap is held
    for a reviewer (Held), with the cap among the hold's rules — beside the engine's own when
    it holds too. The engine's block stands: a block is never softened into a hold."""
    try:
        gate(conn, actor, Action.WITHDRAW, origin, now=now, amount_fen=amount_fen,
             object_id=payout_id)  # fmt: skip
    except Held as engine:
        if over_cap is None:
            raise
        raise _cap_hold(over_cap, payout_id, engine) from None
    if over_cap is not None:
        raise _cap_hold(over_cap, payout_id, None)


def _cap_hold(over_cap: OverCap, payout_id: str, engine: Held | None) -> Held:
    """The hold of a withdrawal past the cap, joined with the engine's when it held too."""
    rule = {"name": CAP_RULE, "weight": 0, "reason": over_cap.reason}
    if engine is None:
        return Held(
            over_cap.reason,
            action=str(Action.WITHDRAW),
            score=0,
            fired=[rule],
            facts=dict(over_cap.facts),
            object_id=payout_id,
        )
    return Held(
        f"{engine.reason}; {over_cap.reason}",
        action=engine.action,
        score=engine.score,
        fired=[*engine.fired, rule],
        facts={**engine.facts, **over_cap.facts},
        object_id=payout_id,
    )


def withdraw(
    conn: Connection,
    actor: Actor,
    *,
    amount_fen: int,
    otp: str | None,
    now: datetime,
    payout_id: str | None = None,
    address: str | None = None,
    new_account_limit: NewAccountLimit | None = None,
    origin: Origin | None = None,
    stepped_up: bool = False,
) -> dict[str, Any]:
    """Move `amount_fen` from the caller's available balance out through the provider.
    Needs a TOTP step-up when 2FA is on; never overdraws (Refused insufficient_funds, also
    under concurrent withdrawals: the debit is one conditional UPDATE); a new or unverified
    account past `new_account_limit` (configured; None: no limit) in a day is held for manual
    review (Held; a reviewer's release applies it once, against the balance then). A
    repeated `payout_id` returns the first payout."""
    from jiedan_cli.server.services.accounts import verify_step_up

    check_fen(amount_fen)
    new = check_id(payout_id) if payout_id is not None else new_id()
    known = conn.execute(select(payouts).where(payouts.c.id == new)).first()
    if known is not None:
        if known.user_id != actor.id or known.amount_fen != amount_fen:
            raise InvalidInput(f"id: payout {new} exists already", field="id")
        available = balance(conn, freelancer_available(actor.id))
        return {**payout_view(known), "available_fen": available}
    if payout_id is not None and not stepped_up:  # stepped_up: this hold's own release
        standing = holds.standing_stop(
            conn, actor.id, Action.WITHDRAW, new, {"amount_fen": amount_fen}
        )
        if standing is not None:
            raise standing
    # Lock order: the accounts, then the user row (step-up), then the change log.
    lock_accounts(conn, {freelancer_available(actor.id), external(PROVIDER)}, now=now)
    if not stepped_up:  # True only for a held withdrawal released (its code was checked)
        verify_step_up(conn, actor, otp, now=now, address=address)
    # Said in the user's terms; the ledger's conditional debit still guards the race.
    check_withdrawal(amount_fen, balance(conn, freelancer_available(actor.id)))
    over_cap = None
    if new_account_limit is not None:  # None: the one application of a released hold
        over_cap = _over_cap(conn, actor, amount_fen, new_account_limit, now=now)
    _gate_withdrawal(conn, actor, origin, over_cap, amount_fen=amount_fen, payout_id=new, now=now)
    post_transfer(
        conn,
        Transfer(
            f"withdraw:{new}",
            freelancer_available(actor.id),
            external(PROVIDER),
            amount_fen,
            "withdraw",
        ),
        now=now,
        actor_id=actor.id,
    )
    # The sandbox pays out at once; a real provider would confirm later (status "pending").
    provider_ref = provider_named(PROVIDER).payout(actor.id, amount_fen, new)
    conn.execute(
        insert(payouts).values(
            id=new,
            user_id=actor.id,
            amount_fen=amount_fen,
            provider=PROVIDER,
            provider_ref=provider_ref,
            status="paid",
            created_at=now,
        )
    )
    row = conn.execute(select(payouts).where(payouts.c.id == new)).one()
    view = payout_view(row)
    publish(conn, Kind.PAYOUT, row, now=now)
    audit(
        conn,
        "earnings.withdraw",
        now=now,
        actor_id=actor.id,
        target=new,
        amount_fen=amount_fen,
        provider_ref=provider_ref,
        address=address,
    )
    return {**view, "available_fen": balance(conn, freelancer_available(actor.id))}
