"""The risk engine's facts (#12): `read_facts` reads every field of `domain/risk.Facts` for
one action of one account in ONE statement — a SELECT from the account's `users` row whose
other columns are scalar subqueries over the windows of `RiskLimits` (the median amount
through a CTE). Counts are of earlier events: the service calls it before it writes.

Where each fact comes from:
- account_age, verified: `users` (created_at; verification = approved).
- usual_amount_fen: the median over `norm_window` of this kind of action — post: orders'
  budget_max_fen; bid: the quotes; award: the awarded bids of this client's orders; fund:
  milestones funded on this client's orders; withdraw: payouts. None with fewer than three,
  and for register and message (no amount).
- actions_in_burst_window: posts + bids + awards + funds + withdrawals + messages sent.
- orders_posted / bids / withdrawals in their windows; message_recipients: distinct
  recipients of the messages sent.
- quick_cancels / night_quick_cancels: this account's orders with a `cancelled` order event
  in `cancel_window` no later than `quick_cancel_within` after posting; of them, those posted
  at night (domain/risk.at_night's hours, China time).
- compensation_claims: `refund_requested` order events by this account + disputes it opened.
- contact_leaks: messages sent and flagged (contacts masked). Bids are masked as they are
  placed but the fact is not stored on the bid, so bids do not count yet.
- accounts_on_device / accounts_on_address: `devices.linked_count_columns`.
- counterpart_linked (award, fund): `devices.counterpart_linked_column` — a shared install or
  address. Payout accounts are not stored (a payout goes to the provider), so not them.
- fast_cycles_with_counterpart (award, fund): orders between the two (either side the client)
  with a milestone released within `fast_cycle_within` of its funding, in `cycle_window`.
- since_credential_change: the latest `password.changed` / `2fa.enabled` / `2fa.disabled` in
  the audit log.
- payout_account_age: None — no payout account is stored (the neutral value).
- unfamiliar_location: False — no region is recorded for a sign-in (the neutral value)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
    text,
)

from jiedan_cli.domain.risk import NIGHT_ENDS, NIGHT_STARTS, Action, Facts, RiskLimits
from jiedan_cli.domain.states import MilestoneStatus
from jiedan_cli.server.db.tables import (
    audit_log,
    bids,
    disputes,
    messages,
    milestones,
    order_events,
    orders,
    payouts,
    users,
)
from jiedan_cli.server.services.devices import counterpart_linked_column, linked_count_columns

CREDENTIAL_CHANGES = ("password.changed", "2fa.enabled", "2fa.disabled")
NORM_MINIMUM = 3  # earlier amounts of the kind before there is a norm (Facts.usual_amount_fen)
COUNTERPART_ACTIONS = frozenset({Action.AWARD, Action.FUND})


def read_facts(
    conn: Connection,
    *,
    user_id: str,
    action: Action,
    amount_fen: int,
    counterpart_id: str | None,
    device_id: str,
    address: str,
    now: datetime,
    limits: RiskLimits,
) -> Facts:
    """`Facts` for `action` by `user_id` at `now`, in one statement (see the module)."""
    lim = limits
    pg = conn.dialect.name == "postgresql"

    def count(query: Any) -> Any:
        return query.scalar_subquery()

    def since(window: timedelta) -> datetime:
        return now - window

    posts = _posts(user_id, since(lim.burst_window))
    columns: dict[str, Any] = {
        "created_at": users.c.created_at,
        "verification": users.c.verification,
        "burst": (
            count(posts)
            + count(_bids(user_id, since(lim.burst_window)))
            + count(_awards(user_id, since(lim.burst_window)))
            + count(_funds(user_id, since(lim.burst_window)))
            + count(_payouts(user_id, since(lim.burst_window)))
            + count(_sent(user_id, since(lim.burst_window)))
        ),
        "posted": count(_posts(user_id, since(lim.post_window))),
        "bids": count(_bids(user_id, since(lim.bid_window))),
        "withdrawals": count(_payouts(user_id, since(lim.withdrawal_window))),
        "recipients": count(
            select(func.count(func.distinct(messages.c.recipient_id))).where(
                messages.c.sender_id == user_id,
                messages.c.created_at >= since(lim.message_window),
            )
        ),
        "quick_cancels": count(_quick_cancels(user_id, now, lim, pg, night=False)),
        "night_quick_cancels": count(_quick_cancels(user_id, now, lim, pg, night=True)),
        "claims": (
            count(
                select(func.count()).where(
                    order_events.c.actor_id == user_id,
                    order_events.c.kind == "refund_requested",
                    order_events.c.created_at >= since(lim.claim_window),
                )
            )
            + count(
                select(func.count()).where(
                    disputes.c.opened_by == user_id,
                    disputes.c.created_at >= since(lim.claim_window),
                )
            )
        ),
        "leaks": count(
            select(func.count()).where(
                messages.c.sender_id == user_id,
                messages.c.flagged.is_(True),
                messages.c.created_at >= since(lim.leak_window),
            )
        ),
        "credential_changed_at": count(
            select(func.max(audit_log.c.at)).where(
                audit_log.c.action.in_(CREDENTIAL_CHANGES), audit_log.c.actor_id == user_id
            )
        ),
    }
    on_device, on_address = linked_count_columns(
        user_id, device_id, address, since(lim.link_window)
    )
    columns.update(on_device=on_device, on_address=on_address)
    if counterpart_id is not None and action in COUNTERPART_ACTIONS:
        columns["linked"] = counterpart_linked_column(
            user_id, counterpart_id, since(lim.link_window)
        )
        columns["fast_cycles"] = count(_fast_cycles(user_id, counterpart_id, now, lim, pg))
    amounts = _amounts(action, user_id, since(lim.norm_window))
    if amounts is not None:
        norm = amounts.cte("norm_amounts")
        how_many = select(func.count()).select_from(norm).scalar_subquery()
        middle = (
            select(norm.c.amount)
            .order_by(norm.c.amount)
            # the one middle amount (odd count) or the two (even): avg is the median
            .limit(literal(2) - how_many % 2)
            .offset((how_many - 1) // 2)
            .subquery()
        )
        columns["norm_count"] = how_many
        columns["median"] = select(func.avg(middle.c.amount)).scalar_subquery()
    statement = select(*(c.label(name) for name, c in columns.items())).where(users.c.id == user_id)
    row = conn.execute(statement).mappings().one()
    changed = row["credential_changed_at"]
    norm_count = int(row.get("norm_count") or 0)
    median = row.get("median")
    return Facts(
        account_age=now - row["created_at"],
        verified=row["verification"] == "approved",
        amount_fen=amount_fen,
        usual_amount_fen=(
            round(float(median)) if median is not None and norm_count >= NORM_MINIMUM else None
        ),
        actions_in_burst_window=int(row["burst"]),
        orders_posted_in_window=int(row["posted"]),
        bids_in_window=int(row["bids"]),
        withdrawals_in_window=int(row["withdrawals"]),
        message_recipients_in_window=int(row["recipients"]),
        quick_cancels=int(row["quick_cancels"]),
        night_quick_cancels=int(row["night_quick_cancels"]),
        compensation_claims=int(row["claims"]),
        contact_leaks=int(row["leaks"]),
        accounts_on_device=int(row["on_device"]),
        accounts_on_address=int(row["on_address"]),
        counterpart_linked=bool(row.get("linked") or False),
        fast_cycles_with_counterpart=int(row.get("fast_cycles") or 0),
        since_credential_change=None if changed is None else now - _aware(changed),
        payout_account_age=None,
        unfamiliar_location=False,
    )


def _aware(moment: Any) -> datetime:
    """A max() over a UTCDateTime comes back untyped on SQLite (a string) — make it aware."""
    when: datetime = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# ---- the counts -----------------------------------------------------------------------------


def _posts(user_id: str, since: datetime) -> Any:
    return select(func.count()).where(orders.c.client_id == user_id, orders.c.created_at >= since)


def _bids(user_id: str, since: datetime) -> Any:
    return select(func.count()).where(bids.c.freelancer_id == user_id, bids.c.created_at >= since)


def _awarded(user_id: str, since: datetime) -> Any:
    """This client's awarded bids, awarded since `since` (the bid's updated_at is the award)."""
    return (
        select(bids.c.amount_fen.label("amount"))
        .select_from(orders.join(bids, bids.c.id == orders.c.awarded_bid_id))
        .where(orders.c.client_id == user_id, bids.c.updated_at >= since)
    )


def _awards(user_id: str, since: datetime) -> Any:
    return select(func.count()).select_from(_awarded(user_id, since).subquery())


def _funded(user_id: str, since: datetime) -> Any:
    return (
        select(milestones.c.amount_fen.label("amount"))
        .select_from(orders.join(milestones, milestones.c.order_id == orders.c.id))
        .where(orders.c.client_id == user_id, milestones.c.funded_at >= since)
    )


def _funds(user_id: str, since: datetime) -> Any:
    return select(func.count()).select_from(_funded(user_id, since).subquery())


def _payouts(user_id: str, since: datetime) -> Any:
    return select(func.count()).where(payouts.c.user_id == user_id, payouts.c.created_at >= since)


def _sent(user_id: str, since: datetime) -> Any:
    return select(func.count()).where(
        messages.c.sender_id == user_id, messages.c.created_at >= since
    )


def _amounts(action: Action, user_id: str, since: datetime) -> Any:
    """This account's earlier amounts of `action`'s kind since `since` (a column `amount`), or
    None for an action without an amount."""
    if action is Action.POST:
        return select(orders.c.budget_max_fen.label("amount")).where(
            orders.c.client_id == user_id, orders.c.created_at >= since
        )
    if action is Action.BID:
        return select(bids.c.amount_fen.label("amount")).where(
            bids.c.freelancer_id == user_id, bids.c.created_at >= since
        )
    if action is Action.AWARD:
        return _awarded(user_id, since)
    if action is Action.FUND:
        return _funded(user_id, since)
    if action is Action.WITHDRAW:
        return select(payouts.c.amount_fen.label("amount")).where(
            payouts.c.user_id == user_id, payouts.c.created_at >= since
        )
    return None


def _quick_cancels(user_id: str, now: datetime, lim: RiskLimits, pg: bool, *, night: bool) -> Any:
    within = _seconds_between(order_events.c.created_at, orders.c.created_at, pg)
    conditions: list[ColumnElement[bool]] = [
        orders.c.client_id == user_id,
        order_events.c.kind == "cancelled",
        order_events.c.created_at >= now - lim.cancel_window,
        within < lim.quick_cancel_within.total_seconds(),
    ]
    if night:
        hour = _china_hour(orders.c.created_at, pg)
        conditions += [hour >= NIGHT_STARTS.hour, hour < NIGHT_ENDS.hour]
    return (
        select(func.count(func.distinct(orders.c.id)))
        .select_from(orders.join(order_events, order_events.c.order_id == orders.c.id))
        .where(*conditions)
    )


def _fast_cycles(
    user_id: str, counterpart_id: str, now: datetime, lim: RiskLimits, pg: bool
) -> Any:
    pair = or_(
        and_(orders.c.client_id == user_id, orders.c.freelancer_id == counterpart_id),
        and_(orders.c.client_id == counterpart_id, orders.c.freelancer_id == user_id),
    )
    cycle = _seconds_between(milestones.c.settled_at, milestones.c.funded_at, pg)
    return (
        select(func.count(func.distinct(orders.c.id)))
        .select_from(orders.join(milestones, milestones.c.order_id == orders.c.id))
        .where(
            pair,
            milestones.c.status == MilestoneStatus.RELEASED,
            milestones.c.settled_at >= now - lim.cycle_window,
            cycle < lim.fast_cycle_within.total_seconds(),
        )
    )


# ---- time arithmetic, per dialect (SQLite keeps UTC times as text) ----------------------------


def _seconds_between(later: Any, earlier: Any, pg: bool) -> ColumnElement[Any]:
    if pg:
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _china_hour(moment: Any, pg: bool) -> ColumnElement[int]:
    """The hour of `moment` in China time (UTC+8 all year: domain/risk.CHINA_TIME)."""
    if pg:
        local = func.timezone("UTC", moment) + text("interval '8 hours'")
        return cast(func.extract("hour", local), Integer)
    return cast(func.strftime("%H", moment, "+8 hours"), Integer)
