"""The risk engine's facts (#12): `read_facts` reads, for one action of one account, the
fields of `domain/risk.Facts` that the rules watching the action read (`facts_read`; a message
counts no quick cancels) in ONE statement — a SELECT from the account's `users` row whose
other columns are scalar subqueries over the windows of `RiskLimits` (the median amount
through a CTE). The statement is built once per (action, limits, dialect, counterpart or not)
with bound parameters for the account, the counterpart, the install, the address, its network
and each window's start (`facts_statement`), and reused: building it cost several times
running it. Counts are of earlier events: the service calls it before it writes. Every
subquery is an index range (EXPLAIN on SQLite and PostgreSQL; migration 0010's indexes).

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
- contact_leaks: messages sent and bids placed whose contact details were masked (`flagged`).
- accounts_on_device / accounts_on_address: `devices.linked_count_columns`.
- counterpart_linked (award, fund): `devices.counterpart_linked_column` — a shared install.
  Not a shared address alone (an office, a campus, a 网吧 share one: `shared_address` is
  that weaker rule), and not a payout account: none is stored (a payout goes to the provider).
- fast_cycles_with_counterpart (award, fund): orders between the two (either side the client)
  with a milestone released within `fast_cycle_within` of its funding, in `cycle_window`.
- since_credential_change: the latest `password.changed` / `2fa.enabled` / `2fa.disabled` in
  the audit log.
- unfamiliar_location: `devices.unfamiliar_network_column` — the request's network (a /16 of
  IPv4, a /32 of IPv6: `devices.network_of`; no geo database) not seen for this account in
  `account_devices` over `location_window`, while it was seen on another before.
- payout_account_age: None, never read — no payout account is stored (payments/base.py pays
  "the user's payout account" at the provider), so there is no date to read; doing it right
  means storing payout accounts and their changes first (with step-up, security.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
)

from jiedan_cli.domain.risk import (
    ALWAYS_READ,
    NIGHT_ENDS,
    NIGHT_STARTS,
    Action,
    Facts,
    RiskLimits,
    facts_read,
)
from jiedan_cli.domain.states import MilestoneStatus
from jiedan_cli.server.db.driver import DriverStatement
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
from jiedan_cli.server.db.types import UTCDateTime
from jiedan_cli.server.services.devices import (
    counterpart_linked_column,
    linked_count_columns,
    network_of,
    unfamiliar_network_column,
)

CREDENTIAL_CHANGES = ("password.changed", "2fa.enabled", "2fa.disabled")
NORM_MINIMUM = 3  # earlier amounts of the kind before there is a norm (Facts.usual_amount_fen)
COUNTERPART_ACTIONS = frozenset({Action.AWARD, Action.FUND})

# The statement's parameters: who, with whom, from where, and `now - window` per window used
# (bound as since_<RiskLimits field>).
USER = bindparam("user_id", type_=String)
COUNTERPART = bindparam("counterpart_id", type_=String)
DEVICE = bindparam("device_id", type_=String)
ADDRESS = bindparam("address", type_=String)
NETWORK = bindparam("network", type_=String)
ADDRESS_MAX = 64  # as account_devices.address


@dataclass(frozen=True)
class FactsStatement:
    """One action's facts statement: the SELECT, the RiskLimits windows it binds (as
    since_<name>), and the Facts fields it reads (the others keep their defaults)."""

    select: Select[Any]
    windows: tuple[str, ...]
    reads: frozenset[str]


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
    """`Facts` for `action` by `user_id` at `now`, in one statement (see the module): only the
    fields the rules watching `action` read; the others keep their neutral defaults."""
    with_counterpart = counterpart_id is not None and action in COUNTERPART_ACTIONS
    built = facts_statement(action, limits, conn.dialect.name, with_counterpart)
    params: dict[str, Any] = {
        "user_id": user_id,
        "counterpart_id": counterpart_id,
        "device_id": device_id,
        "address": address[:ADDRESS_MAX],
        "network": network_of(address),
    }
    for window in built.windows:
        params[f"since_{window}"] = now - getattr(limits, window)
    row = _driver(built).one(conn, params)._asdict()
    return Facts(
        account_age=now - row["created_at"],
        verified=row["verification"] == "approved",
        amount_fen=amount_fen,
        **{name: _READERS[name](row, now) for name in built.reads if name in _READERS},
    )


@lru_cache(maxsize=128)
def _driver(built: FactsStatement) -> DriverStatement:
    """The statement on the driver's cursor (db/driver.py): through SQLAlchemy a read of a
    dozen subqueries cost ≈ 105 µs here, its own work ≈ 15 µs — a tenth of a pushed
    operation's CPU."""
    return DriverStatement(built.select)


@lru_cache(maxsize=128)
def facts_statement(
    action: Action, limits: RiskLimits, dialect: str, with_counterpart: bool
) -> FactsStatement:
    """Built once per (action, limits, dialect, counterpart or not) and reused: building a
    statement of a dozen subqueries costs several times running it."""
    pg = dialect == "postgresql"
    used: list[str] = []

    def since(window: str) -> Any:
        if window not in used:
            used.append(window)
        return bindparam(f"since_{window}", type_=UTCDateTime)

    reads = set(facts_read(action))
    if not with_counterpart:
        reads -= {"counterpart_linked", "fast_cycles_with_counterpart"}
    reads.discard("payout_account_age")  # no payout account is stored (see the module)
    columns: dict[str, Any] = {
        "created_at": users.c.created_at,
        "verification": users.c.verification,
    }
    for name in sorted(reads - ALWAYS_READ):
        columns.update(_columns(name, action, limits, pg, since))
    statement = select(*(c.label(label) for label, c in columns.items())).where(users.c.id == USER)
    return FactsStatement(statement, tuple(used), frozenset(reads))


def _columns(
    name: str, action: Action, lim: RiskLimits, pg: bool, since: Callable[[str], Any]
) -> dict[str, Any]:
    """The labelled expressions that read the fact `name`."""

    def count(query: Any) -> Any:
        return query.scalar_subquery()

    if name == "usual_amount_fen":
        amounts = _amounts(action, USER, since("norm_window"))
        if amounts is None:
            return {}
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
        return {
            "norm_count": how_many,
            "median": select(func.avg(middle.c.amount)).scalar_subquery(),
        }
    if name == "actions_in_burst_window":
        burst = since("burst_window")
        return {
            name: count(_posts(USER, burst))
            + count(_bids(USER, burst))
            + count(_awards(USER, burst))
            + count(_funds(USER, burst))
            + count(_payouts(USER, burst))
            + count(_sent(USER, burst))
        }
    if name == "orders_posted_in_window":
        return {name: count(_posts(USER, since("post_window")))}
    if name == "bids_in_window":
        return {name: count(_bids(USER, since("bid_window")))}
    if name == "withdrawals_in_window":
        return {name: count(_payouts(USER, since("withdrawal_window")))}
    if name == "message_recipients_in_window":
        recipients = select(func.count(func.distinct(messages.c.recipient_id))).where(
            messages.c.sender_id == USER, messages.c.created_at >= since("message_window")
        )
        return {name: count(recipients)}
    if name in ("quick_cancels", "night_quick_cancels"):
        cancels = _quick_cancels(
            USER, since("cancel_window"), lim, pg, night=name == "night_quick_cancels"
        )
        return {name: count(cancels)}
    if name == "compensation_claims":
        after = since("claim_window")
        refunds = select(func.count()).where(
            order_events.c.actor_id == USER,
            order_events.c.kind == "refund_requested",
            order_events.c.created_at >= after,
        )
        opened = select(func.count()).where(
            disputes.c.opened_by == USER, disputes.c.created_at >= after
        )
        return {name: count(refunds) + count(opened)}
    if name == "contact_leaks":
        after = since("leak_window")
        in_messages = select(func.count()).where(
            messages.c.sender_id == USER,
            messages.c.flagged == true(),  # an equality: ix_messages_sender_flagged's range
            messages.c.created_at >= after,
        )
        in_bids = select(func.count()).where(
            bids.c.freelancer_id == USER, bids.c.flagged == true(), bids.c.created_at >= after
        )
        return {name: count(in_messages) + count(in_bids)}
    if name == "since_credential_change":
        # the actions written out, not an expanding IN: the statement is rendered once
        written: list[Any] = [literal_column(f"'{action}'") for action in CREDENTIAL_CHANGES]
        changed = select(func.max(audit_log.c.at)).where(
            audit_log.c.action.in_(written), audit_log.c.actor_id == USER
        )
        return {name: count(changed)}
    if name in ("accounts_on_device", "accounts_on_address"):
        on_device, on_address = linked_count_columns(USER, DEVICE, ADDRESS, since("link_window"))
        return {name: on_device if name == "accounts_on_device" else on_address}
    if name == "counterpart_linked":
        return {name: counterpart_linked_column(USER, COUNTERPART, since("link_window"))}
    if name == "fast_cycles_with_counterpart":
        return {name: count(_fast_cycles(USER, COUNTERPART, since("cycle_window"), lim, pg))}
    if name == "unfamiliar_location":
        return {name: unfamiliar_network_column(USER, NETWORK, since("location_window"))}
    raise ValueError(f"no source for the fact {name}")  # a new Facts field: give it one


def _median(row: Any, _now: datetime) -> int | None:
    median, how_many = row.get("median"), int(row.get("norm_count") or 0)
    return round(float(median)) if median is not None and how_many >= NORM_MINIMUM else None


def _changed(row: Any, now: datetime) -> timedelta | None:
    changed = row["since_credential_change"]
    return None if changed is None else now - _aware(changed)


def _int(name: str) -> Callable[[Any, datetime], int]:
    return lambda row, _now: int(row[name])


def _bool(name: str) -> Callable[[Any, datetime], bool]:
    return lambda row, _now: bool(row[name])


# How each fact read comes back from its columns (payout_account_age is never read).
_READERS: dict[str, Callable[[Any, datetime], Any]] = {
    "usual_amount_fen": _median,
    "since_credential_change": _changed,
    **{
        name: _int(name)
        for name in (
            "actions_in_burst_window",
            "orders_posted_in_window",
            "bids_in_window",
            "withdrawals_in_window",
            "message_recipients_in_window",
            "quick_cancels",
            "night_quick_cancels",
            "compensation_claims",
            "contact_leaks",
            "accounts_on_device",
            "accounts_on_address",
            "fast_cycles_with_counterpart",
        )
    },
    "counterpart_linked": _bool("counterpart_linked"),
    "unfamiliar_location": _bool("unfamiliar_location"),
}


def _aware(moment: Any) -> datetime:
    """A max() over a UTCDateTime comes back untyped on SQLite (a string) — make it aware."""
    when: datetime = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# ---- the counts -----------------------------------------------------------------------------


def _posts(user_id: Any, since: Any) -> Any:
    return select(func.count()).where(orders.c.client_id == user_id, orders.c.created_at >= since)


def _bids(user_id: Any, since: Any) -> Any:
    return select(func.count()).where(bids.c.freelancer_id == user_id, bids.c.created_at >= since)


def _awarded(user_id: Any, since: Any) -> Any:
    """This client's awarded bids, awarded since `since` (the bid's updated_at is the award)."""
    return (
        select(bids.c.amount_fen.label("amount"))
        .select_from(orders.join(bids, bids.c.id == orders.c.awarded_bid_id))
        .where(orders.c.client_id == user_id, bids.c.updated_at >= since)
    )


def _awards(user_id: Any, since: Any) -> Any:
    return select(func.count()).select_from(_awarded(user_id, since).subquery())


def _funded(user_id: Any, since: Any) -> Any:
    return (
        select(milestones.c.amount_fen.label("amount"))
        .select_from(orders.join(milestones, milestones.c.order_id == orders.c.id))
        .where(orders.c.client_id == user_id, milestones.c.funded_at >= since)
    )


def _funds(user_id: Any, since: Any) -> Any:
    return select(func.count()).select_from(_funded(user_id, since).subquery())


def _payouts(user_id: Any, since: Any) -> Any:
    return select(func.count()).where(payouts.c.user_id == user_id, payouts.c.created_at >= since)


def _sent(user_id: Any, since: Any) -> Any:
    return select(func.count()).where(
        messages.c.sender_id == user_id, messages.c.created_at >= since
    )


def _amounts(action: Action, user_id: Any, since: Any) -> Any:
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


def _quick_cancels(user_id: Any, since: Any, lim: RiskLimits, pg: bool, *, night: bool) -> Any:
    within = _seconds_between(order_events.c.created_at, orders.c.created_at, pg)
    conditions: list[ColumnElement[bool]] = [
        orders.c.client_id == user_id,
        order_events.c.kind == "cancelled",
        order_events.c.created_at >= since,
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


def _fast_cycles(user_id: Any, counterpart_id: Any, since: Any, lim: RiskLimits, pg: bool) -> Any:
    """Orders between the two, either side the client, with a milestone released within
    `fast_cycle_within` of its funding: a sum of two counts, each from the client's orders
    (ix_orders_client_created), not one OR that no index serves."""
    cycle = _seconds_between(milestones.c.settled_at, milestones.c.funded_at, pg)

    fast = (
        select(literal(1))
        .where(
            milestones.c.order_id == orders.c.id,
            # through a function: no index on status, so SQLite (without statistics) takes
            # the order's milestones (ix_milestones_order_id), not every released milestone
            func.coalesce(milestones.c.status, "") == MilestoneStatus.RELEASED,
            milestones.c.settled_at >= since,
            cycle < lim.fast_cycle_within.total_seconds(),
        )
        .exists()
    )

    def as_client(client: Any, freelancer: Any) -> Any:
        return (
            select(func.count())
            .where(orders.c.client_id == client, orders.c.freelancer_id == freelancer, fast)
            .scalar_subquery()
        )

    return select(as_client(user_id, counterpart_id) + as_client(counterpart_id, user_id))


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
