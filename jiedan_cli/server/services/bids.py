"""Bids (投标): placed, edited and withdrawn by their freelancer while the order is open.

Sealed: a bid is seen by its author and the order's client only; everyone else sees the
order's `bid_count` (live bids). Every bid write locks the order row first, so a bid can
never land on an order that is being awarded, and concurrent writers queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from jiedan_cli.domain.contacts import mask_contacts
from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound, Refused
from jiedan_cli.domain.ids import check_id, new_id
from jiedan_cli.domain.money import CURRENCY
from jiedan_cli.domain.moves import (
    Role,
    Seat,
    may_award,
    may_bid,
    may_change_bid,
    require,
    role_of,
)
from jiedan_cli.domain.order_rules import check_bid_terms
from jiedan_cli.domain.risk import Action
from jiedan_cli.domain.states import LIVE_BID, BidStatus, OrderStatus, require_bid
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.driver import DriverStatement
from jiedan_cli.server.db.tables import bids, orders, users
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.changes import (
    Audience,
    Context,
    Kind,
    order_parties,
    publish,
    register,
)
from jiedan_cli.server.services.milestones import create_milestone
from jiedan_cli.server.services.order_views import order_view, record_order
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows
from jiedan_cli.server.services.risk import Origin, gate
from jiedan_cli.server.services.rows import fetch_for_update
from jiedan_cli.server.services.visibility import can_read, own_order, readable_order

LIVE = [str(status) for status in LIVE_BID]
DEFAULT_MILESTONE_TITLE = "全部工作"


def bid_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_id": row.order_id,
        "freelancer_id": row.freelancer_id,
        "amount_fen": row.amount_fen,
        "currency": CURRENCY,
        "days": row.days,
        "message": row.message,
        "status": row.status,
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }


def record_bid(
    conn: Connection, bid_id: str, order: Row[Any], *, now: datetime, row: Row[Any] | None = None
) -> Row[Any]:
    """Publish a bid to its two readers: `row` as the write RETURNING gave it, or re-read
    after the write."""
    if row is None:
        row = conn.execute(select(bids).where(bids.c.id == bid_id)).one()
    publish(conn, Kind.BID, row, now=now, order=order)
    return row


def _bid_readers(row: Any, context: Context) -> Audience:
    """The bidder and the order's client."""
    return (row.freelancer_id, order_parties(context, row.order_id)[0])


register(Kind.BID, view=bid_view, audience=_bid_readers)


# The statements of the bid writes, built once (building them per call cost more CPU than
# running them). Bound names avoid the column names, which UPDATE … SET reserves. The live
# statuses are written out, not bound: so the SQL says what uq_bids_live's WHERE says, and
# SQLite may answer from that partial index.
_IS_LIVE = bids.c.status.in_([literal_column(f"'{s}'") for s in LIVE])
_LIVE_BIDS = (
    select(func.count()).where(bids.c.order_id == bindparam("of_order"), _IS_LIVE).scalar_subquery()
)
_COUNT_LIVE_BIDS = select(_LIVE_BIDS)
_STORE_BID_COUNT = (
    update(orders)
    .where(orders.c.id == bindparam("of_order"))
    .values(bid_count=_LIVE_BIDS, updated_at=bindparam("now"))
    .returning(*orders.c)
)
_INSERT_BID = insert(bids).returning(*bids.c)
_BID_COLUMNS = (
    "id",
    "order_id",
    "freelancer_id",
    "amount_fen",
    "days",
    "message",
    "status",
    "flagged",
    "created_at",
    "updated_at",
)
# An order to bid on, with what the bid needs to know from the same read: whether the
# bidder has a live bid on it, the bidder's verification (the daily limit), and whether the
# bid's id (made by an offline client) is taken. Of the order, what a bid reads (who may see
# it, the seat, the bid's audience) and no more: every column read is converted whether used
# or not; the order the bid count's UPDATE returns is the whole one the public is sent.
_ORDER_TO_BID_ON = select(
    orders.c.id,
    orders.c.client_id,
    orders.c.freelancer_id,
    orders.c.status,
    exists()
    .where(
        bids.c.order_id == orders.c.id,
        bids.c.freelancer_id == bindparam("freelancer_id"),
        _IS_LIVE,
    )
    .label("has_live_bid"),
    select(users.c.verification)
    .where(users.c.id == bindparam("freelancer_id"))
    .scalar_subquery()
    .label("verification"),
    exists().where(bids.c.id == bindparam("bid_id")).label("bid_taken"),
).where(orders.c.id == bindparam("of_order"))
_ORDER_TO_BID_ON_LOCKED = _ORDER_TO_BID_ON.with_for_update(of=orders)
# The three statements of its own every placed bid sends, on the driver's cursor
# (db/driver.py; measured in one process: the order read 62 → 24 µs, the bid count's
# UPDATE … RETURNING 81 → 52 µs).
_READ_ORDER = DriverStatement(_ORDER_TO_BID_ON)
_READ_ORDER_LOCKED = DriverStatement(_ORDER_TO_BID_ON_LOCKED)
_WRITE_BID = DriverStatement(_INSERT_BID, columns=_BID_COLUMNS)
_WRITE_BID_COUNT = DriverStatement(_STORE_BID_COUNT)


def live_bid_count(conn: Connection, order_id: str) -> int:
    return int(conn.scalar(_COUNT_LIVE_BIDS, {"of_order": order_id}) or 0)


def refresh_bid_count(conn: Connection, order_id: str, *, now: datetime) -> None:
    """Store the live-bid count on the order and re-record the order (it is public). One
    statement: the count is taken in the UPDATE, which returns the row to record."""
    row = _WRITE_BID_COUNT.one(conn, {"of_order": order_id, "now": now})
    record_order(conn, order_id, now=now, row=row)


def decline_bids(
    conn: Connection, order: Row[Any], *, now: datetime, keep: str | None = None
) -> None:
    """Decline every submitted bid on `order` except `keep`, in one UPDATE whose RETURNING
    gives the rows to publish (in id order). The caller holds the order lock."""
    declined = conn.execute(
        update(bids)
        .where(bids.c.order_id == order.id, bids.c.status == BidStatus.SUBMITTED, bids.c.id != keep)
        .values(status=BidStatus.DECLINED, updated_at=now)
        .returning(*bids.c)
    ).all()
    for row in sorted(declined, key=lambda r: r.id):
        record_bid(conn, row.id, order, now=now, row=row)


def _bids_in_last_day(conn: Connection, user_id: str, now: datetime) -> int:
    since = now - timedelta(days=1)
    return int(
        conn.scalar(
            select(func.count()).where(bids.c.freelancer_id == user_id, bids.c.created_at > since)
        )
        or 0
    )


def _check_daily_limit(
    conn: Connection, actor: Actor, limit: int | None, now: datetime, verification: str | None
) -> None:
    """Unverified freelancers place at most `limit` bids per rolling day (security.md)."""
    if limit is None or verification == "approved":
        return
    if _bids_in_last_day(conn, actor.id, now) >= limit:
        raise Refused(
            f"unverified accounts may place {limit} bids a day; complete 实名认证 to lift it",
            code="daily_bid_limit",
        )


def _open_for_bidding(
    conn: Connection, actor: Actor, order_id: str, bid_id: str | None
) -> tuple[Row[Any], Seat]:
    """The order (locked on PostgreSQL), when the actor may see it and bid on it, with its
    `has_live_bid`, the actor's `verification` and `bid_taken` (`bid_id` exists), and the
    actor's seat at it; NotFound or Conflict otherwise (domain/moves.may_bid)."""
    locked = conn.dialect.name == "postgresql"
    query = _READ_ORDER_LOCKED if locked else _READ_ORDER
    params = {"of_order": order_id, "freelancer_id": actor.id, "bid_id": bid_id}
    order = query.first(conn, params)
    if order is None or not can_read(conn, actor, order):
        raise NotFound(f"no order {order_id}")
    # can_read shows a non-party an order that is no longer open only if they bid on it
    has_bid = order.status != OrderStatus.OPEN or bool(order.has_live_bid)
    role = role_of(actor.id, order.client_id, order.freelancer_id, has_bid=has_bid)
    seat = Seat(order.id, order.status, role)
    require(may_bid(seat))
    return order, seat


def place_bid(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str,
    amount_fen: int,
    days: int,
    message: str = "",
    now: datetime,
    bid_id: str | None = None,
    unverified_bids_per_day: int | None = None,
    origin: Origin | None = None,
) -> dict[str, Any]:
    """A new bid. `unverified_bids_per_day` is the configured limit (None: no limit)."""
    actor.require("freelancer")
    amount_fen, days, message = check_bid_terms(amount_fen, days, message)
    # the client reads it before any award (domain/contacts.py); flagged for the risk engine
    message, flagged = mask_contacts(message)
    new = check_id(bid_id) if bid_id is not None else new_id()
    # an id we made is new; one a client made (offline) may be a replay
    order, seat = _open_for_bidding(conn, actor, order_id, new if bid_id is not None else None)
    if order.bid_taken:
        raise Conflict(f"bid {new} exists already", code="bid_exists")
    require(may_bid(seat, live_bid=bool(order.has_live_bid)))
    _check_daily_limit(conn, actor, unverified_bids_per_day, now, order.verification)
    gate(conn, actor, Action.BID, origin, now=now, amount_fen=amount_fen, object_id=new)
    bid = {
        "id": new,
        "order_id": order_id,
        "freelancer_id": actor.id,
        "amount_fen": amount_fen,
        "days": days,
        "message": message,
        "status": BidStatus.SUBMITTED,
        "flagged": flagged,
        "created_at": now,
        "updated_at": now,
    }
    try:
        row = _WRITE_BID.one(conn, bid)
    except IntegrityError as exc:  # uq_bids_live or the id: a racing twin got there first
        raise Conflict("you already have a live bid on this order", code="bid_exists") from exc
    view = bid_view(record_bid(conn, new, order, now=now, row=row))
    refresh_bid_count(conn, order_id, now=now)
    return view


def _own_live_bid(conn: Connection, actor: Actor, bid_id: str) -> tuple[Row[Any], Row[Any]]:
    """(order, bid), both locked — the order first, as every bid writer does — when `actor`
    wrote the bid, it is still submitted and the order still open."""
    found = conn.execute(select(bids.c.order_id, bids.c.freelancer_id).where(bids.c.id == bid_id))
    first = found.first()
    if first is None or first.freelancer_id != actor.id:
        raise NotFound(f"no bid {bid_id} of yours")
    order = fetch_for_update(conn, orders, first.order_id)
    bid = fetch_for_update(conn, bids, bid_id)
    require(may_change_bid(bid.status, order.status))
    return order, bid


def update_bid(
    conn: Connection,
    actor: Actor,
    bid_id: str,
    *,
    amount_fen: int | None = None,
    days: int | None = None,
    message: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    order, bid = _own_live_bid(conn, actor, bid_id)
    amount_fen, days, message = check_bid_terms(
        bid.amount_fen if amount_fen is None else amount_fen,
        bid.days if days is None else days,
        bid.message if message is None else message,
    )
    message, flagged = mask_contacts(message)
    row = conn.execute(
        update(bids)
        .where(bids.c.id == bid_id)
        .values(
            amount_fen=amount_fen,
            days=days,
            message=message,
            flagged=bid.flagged or flagged,
            updated_at=now,
        )
        .returning(*bids.c)
    ).one()
    return bid_view(record_bid(conn, bid_id, order, now=now, row=row))


def withdraw_bid(conn: Connection, actor: Actor, bid_id: str, *, now: datetime) -> dict[str, Any]:
    order, _bid = _own_live_bid(conn, actor, bid_id)
    view = bid_view(_set_status(conn, bid_id, order, BidStatus.WITHDRAWN, now=now))
    refresh_bid_count(conn, order.id, now=now)
    return view


def _set_status(
    conn: Connection, bid_id: str, order: Row[Any], status: BidStatus, *, now: datetime
) -> Row[Any]:
    """The bid's new status, published as its UPDATE returned the row."""
    row = conn.execute(
        update(bids)
        .where(bids.c.id == bid_id)
        .values(status=status, updated_at=now)
        .returning(*bids.c)
    ).one()
    return record_bid(conn, bid_id, order, now=now, row=row)


def bids_on_order(
    conn: Connection, viewer: Actor, order_id: str, page: PageRequest | None = None
) -> Page:
    """The order's client sees every bid; anyone else who may see the order, their own.
    Oldest first."""
    order = readable_order(conn, viewer, order_id)
    query = select(bids).where(bids.c.order_id == order_id)
    if order.client_id != viewer.id:
        query = query.where(bids.c.freelancer_id == viewer.id)
    rows, cursor = keyset_rows(conn, query, (bids.c.created_at, bids.c.id), page)
    return Page([bid_view(row) for row in rows], cursor)


def my_bids(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str | None = None,
    status: str | None = None,
    page: PageRequest | None = None,
) -> Page:
    """The caller's bids, newest first."""
    if status is not None and status not in set(BidStatus):
        raise InvalidInput(f"status: {status!r} is not a bid status", field="status")
    query = select(bids).where(bids.c.freelancer_id == actor.id)
    if order_id is not None:
        query = query.where(bids.c.order_id == order_id)
    if status is not None:
        query = query.where(bids.c.status == status)
    key = (bids.c.created_at, bids.c.id)
    rows, cursor = keyset_rows(conn, query, key, page, newest_first=True)
    return Page([bid_view(row) for row in rows], cursor)


def award_bid(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str,
    bid_id: str,
    now: datetime,
    unverified_max_award_fen: int | None = None,
    origin: Origin | None = None,
) -> dict[str, Any]:
    """The client picks the winner: order and bid `awarded`, the other bids `declined`, and
    the default milestone for the whole amount. Under the order's lock the state is read
    afresh, so of any number of concurrent awards exactly one finds the order open.
    `unverified_max_award_fen` (configured; None: no limit): the largest order total a
    freelancer without real-name verification may take (security.md; checked where every
    milestone is made, `milestones.create_milestone`)."""
    order = own_order(conn, actor, order_id)
    require(may_award(Seat(order.id, order.status, Role.CLIENT)))
    bid = conn.execute(select(bids).where(bids.c.id == bid_id, bids.c.order_id == order_id)).first()
    if bid is None:
        raise NotFound(f"no bid {bid_id} on order {order_id}")
    require_bid(bid.status, BidStatus.AWARDED)
    gate(
        conn,
        actor,
        Action.AWARD,
        origin,
        now=now,
        amount_fen=bid.amount_fen,
        counterpart_id=bid.freelancer_id,
        object_id=order_id,
    )
    _set_status(conn, bid_id, order, BidStatus.AWARDED, now=now)
    decline_bids(conn, order, now=now, keep=bid_id)
    conn.execute(
        update(orders)
        .where(orders.c.id == order_id)
        .values(
            status=OrderStatus.AWARDED,
            awarded_bid_id=bid_id,
            freelancer_id=bid.freelancer_id,
            bid_count=live_bid_count(conn, order_id),
            updated_at=now,
        )
    )
    create_milestone(
        conn,
        order_id=order_id,
        title=DEFAULT_MILESTONE_TITLE,
        amount_fen=bid.amount_fen,
        freelancer_id=bid.freelancer_id,
        now=now,
        unverified_max_order_fen=unverified_max_award_fen,
    )
    return order_view(record_order(conn, order_id, now=now))
