"""Messages (站内消息) on an order, between its client and a freelancer who bid on it — or
who asks about the open order before bidding (咨询: at most QUESTIONS_PER_DAY a day).

A thread is (order, freelancer). Until that freelancer is awarded the order, contact details
(phone, WeChat, QQ, e-mail) are masked and the message flagged: escrow is what protects both
sides, and moving the deal off the platform dodges it (security.md). Once the order is
awarded, the threads with the other bidders are closed (domain/threads.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, String, bindparam, exists, func, insert, or_, select

from jiedan_cli.domain.contacts import mask_contacts
from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound
from jiedan_cli.domain.ids import check_id, new_id
from jiedan_cli.domain.moves import Seat, may_message, require, role_of
from jiedan_cli.domain.order_rules import check_message_text
from jiedan_cli.domain.risk import Action
from jiedan_cli.domain.states import OrderStatus
from jiedan_cli.domain.threads import (
    require_question_allowed,
    thread_closed,
)
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.driver import DriverStatement
from jiedan_cli.server.db.tables import bids, messages, orders
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.changes import Kind, publish, register
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows
from jiedan_cli.server.services.risk import Origin, gate


def message_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_id": row.order_id,
        "sender_id": row.sender_id,
        "recipient_id": row.recipient_id,
        "text": row.text,
        "flagged": row.flagged,
        "created_at": rfc3339(row.created_at),
    }


register(Kind.MESSAGE, view=message_view, audience=lambda row, _: (row.sender_id, row.recipient_id))


# The statements of a message, built once: building them cost more CPU than running them
# (a pushed queue sends hundreds of messages).
def _thread_of(user: Any) -> Any:
    """Whether `user` has written or been written to about the order (a question)."""
    by_or_to = or_(messages.c.sender_id == user, messages.c.recipient_id == user)
    return exists().where(messages.c.order_id == orders.c.id, by_or_to)


def _bid_by(user: Any) -> Any:
    return exists().where(bids.c.order_id == orders.c.id, bids.c.freelancer_id == user)


_USER = bindparam("user_id", type_=String)
# The order, with what a message needs to know of the writer from the same read: whether
# they bid on it or have a thread about it, and whether the message's id is taken.
_ORDER_FOR_PARTY = select(
    # what a message reads of its order, no more: each column of a row read is converted
    # (times parsed, JSON decoded) whether used or not
    orders.c.id,
    orders.c.client_id,
    orders.c.freelancer_id,
    orders.c.status,
    _bid_by(_USER).label("has_bid"),
    _thread_of(_USER).label("has_thread"),
    exists().where(messages.c.id == bindparam("message_id")).label("message_taken"),
).where(orders.c.id == bindparam("order_id"))
# Every message sends these two: on the driver's cursor (db/driver.py), as a bid's own.
_READ_ORDER_FOR_PARTY = DriverStatement(_ORDER_FOR_PARTY)
_FREELANCER_OF = select(or_(_bid_by(_USER), _thread_of(_USER)).label("is_freelancer")).where(
    orders.c.id == bindparam("order_id")
)
_MESSAGE_COLUMNS = ("id", "order_id", "sender_id", "recipient_id", "text", "flagged", "created_at")
_WRITE_MESSAGE = DriverStatement(insert(messages).returning(*messages.c), columns=_MESSAGE_COLUMNS)


def _is_freelancer_of(conn: Connection, order: Any, user_id: str) -> bool:
    if user_id == order.freelancer_id:
        return True
    found = conn.scalar(_FREELANCER_OF, {"order_id": order.id, "user_id": user_id})
    return bool(found)


def _order_for_party(
    conn: Connection,
    actor: Actor,
    order_id: str,
    *,
    asking: bool = False,
    message_id: str | None = None,
) -> Any:
    """The order when `actor` is its client or one of its freelancers (or, `asking`, a
    freelancer with a question about it while it is open); NotFound otherwise. One read: the
    row has `has_bid` and `has_thread` (the actor's) and `message_taken` (`message_id`)."""
    params = {"order_id": order_id, "user_id": actor.id, "message_id": message_id}
    order = _READ_ORDER_FOR_PARTY.first(conn, params)
    if order is not None and (
        actor.id in (order.client_id, order.freelancer_id) or order.has_bid or order.has_thread
    ):
        return order
    if order is not None and asking and _may_ask(actor, order):
        return order
    raise NotFound(f"no message thread of yours on order {order_id}")


def _may_ask(actor: Actor, order: Row[Any]) -> bool:
    return "freelancer" in actor.roles and order.status == OrderStatus.OPEN


def _questions_today(conn: Connection, actor: Actor, now: datetime) -> int:
    """Messages `actor` sent in the last day about orders they have not bid on."""
    bid_on = select(bids.c.order_id).where(bids.c.freelancer_id == actor.id)
    counted = select(func.count()).where(
        messages.c.sender_id == actor.id,
        messages.c.created_at > now - timedelta(days=1),
        messages.c.order_id.not_in(bid_on),
    )
    return int(conn.execute(counted).scalar_one())


def _recipient(conn: Connection, actor: Actor, order: Row[Any], to_user_id: str | None) -> str:
    if actor.id == order.client_id:
        if to_user_id is None and order.freelancer_id is not None:
            return str(order.freelancer_id)  # once awarded, the client writes to its freelancer
        if to_user_id is None:
            raise InvalidInput("to: name the freelancer you are writing to", field="to")
        if to_user_id == actor.id or not _is_freelancer_of(conn, order, to_user_id):
            raise InvalidInput(f"to: {to_user_id} has not bid on this order", field="to")
        return to_user_id
    if to_user_id not in (None, order.client_id):
        raise InvalidInput("to: a freelancer writes to the order's client only", field="to")
    return str(order.client_id)


def send_message(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str,
    text: str,
    to_user_id: str | None = None,
    now: datetime,
    message_id: str | None = None,
    origin: Origin | None = None,
) -> dict[str, Any]:
    text = check_message_text(text)
    new = check_id(message_id) if message_id is not None else new_id()
    order = _order_for_party(conn, actor, order_id, asking=True, message_id=new)
    recipient = _recipient(conn, actor, order, to_user_id)
    freelancer = recipient if actor.id == order.client_id else actor.id
    # _order_for_party shows a non-party an order that is no longer open only if they bid
    # on it or asked about it: their thread
    has_thread = order.status != OrderStatus.OPEN
    role = role_of(actor.id, order.client_id, order.freelancer_id, has_bid=has_thread)
    closed = thread_closed(order.freelancer_id, freelancer)
    require(may_message(Seat(order.id, order.status, role), thread_closed=closed))
    if actor.id == freelancer and not order.has_bid:  # a question
        require_question_allowed(_questions_today(conn, actor, now))
    flagged = False
    if freelancer != order.freelancer_id:  # this pair has no award (yet): no escrow
        text, flagged = mask_contacts(text)
    if order.message_taken:
        raise Conflict(f"message {new} exists already", code="message_exists")
    gate(conn, actor, Action.MESSAGE, origin, now=now, object_id=new)
    message = {
        "id": new,
        "order_id": order_id,
        "sender_id": actor.id,
        "recipient_id": recipient,
        "text": text,
        "flagged": flagged,
        "created_at": now,
    }
    row = _WRITE_MESSAGE.one(conn, message)
    publish(conn, Kind.MESSAGE, row, now=now)
    return message_view(row)


def list_messages(
    conn: Connection, actor: Actor, order_id: str, page: PageRequest | None = None
) -> Page:
    """Every thread of the order for its client; a freelancer's own thread for them. Oldest
    first, a page at a time (services/pages.py)."""
    order = _order_for_party(conn, actor, order_id)
    query = select(messages).where(messages.c.order_id == order_id)
    if actor.id != order.client_id:
        query = query.where(
            or_(messages.c.sender_id == actor.id, messages.c.recipient_id == actor.id)
        )
    key = (messages.c.created_at, messages.c.id)
    rows, cursor = keyset_rows(conn, query, key, page)
    return Page([message_view(row) for row in rows], cursor)
