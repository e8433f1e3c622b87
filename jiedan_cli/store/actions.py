"""Local-first actions: what a user does, checked by the same domain rules the server uses,
written to the outbox in one transaction, and answered with the object as the user now sees
it. The command line and the dashboard both call these; neither touches the outbox itself.

Where the replica knows the object, an impossible action is refused here, offline, with the
reason the server would give (an order that is no longer open, a bid on one's own order…).
Where it does not know the object, the operation is queued and the server decides."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from jiedan_cli.domain import moves, order_rules
from jiedan_cli.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from jiedan_cli.domain.escrow import statuses_as_queued
from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.moves import require
from jiedan_cli.domain.states import OrderStatus
from jiedan_cli.domain.threads import thread_closed
from jiedan_cli.store import queries
from jiedan_cli.store.outbox import enqueue
from jiedan_cli.store.state import current_user_id
from jiedan_cli.store.transaction import transaction
from jiedan_cli.store.uploads import record_uploads, with_upload_states

LIVE = ("submitted", "awarded")
Rule = Callable[[moves.Seat], "moves.Refusal | None"]


def _me(conn: sqlite3.Connection) -> str:
    user_id = current_user_id(conn)
    if user_id is None:
        raise Unauthenticated("not signed in: run `jiedan auth login` first")
    return user_id


def _require_role(conn: sqlite3.Connection, role: str) -> None:
    """Refuse at once what the server would refuse for the account's roles, once they are known
    (a freelancer-only account posting an order); before the first sync, the server decides."""
    roles = queries.my_roles(conn)
    if roles is not None and role not in roles:
        raise Forbidden(f"this needs the role {role}; this account has {', '.join(sorted(roles))}")


def _order(conn: sqlite3.Connection, order_id: str) -> dict[str, Any] | None:
    return queries.get_order(conn, order_id)


def milestone_statuses(conn: sqlite3.Connection, order_id: str) -> list[str]:
    """The statuses of the order's milestones as the replica last pulled them, with the
    queued fundings and deliveries taken (domain/escrow.statuses_as_queued)."""
    fundings = conn.execute(
        "SELECT count(*) FROM outbox WHERE object_kind = 'order' AND object_id = ?"
        " AND intent = ? AND state = 'pending'",
        (order_id, Intent.FUND_ORDER),
    ).fetchone()[0]
    return statuses_as_queued(
        queries.list_milestones(conn, order_id),
        queries.list_deliveries(conn, order_id),
        int(fundings),
    )


def _bid(conn: sqlite3.Connection, bid_id: str) -> dict[str, Any]:
    for bid in queries.list_bids(conn):
        if bid["id"] == bid_id:
            return bid
    raise NotFound(f"no bid {bid_id} in the local replica (run `jiedan sync`)")


def _my_bid(conn: sqlite3.Connection, bid_id: str, me: str) -> dict[str, Any]:
    """My bid, to change: a client's replica holds the bids on their order too, which the
    server tells them are not theirs."""
    bid = _bid(conn, bid_id)
    if bid.get("freelancer_id") != me:
        raise NotFound(f"no bid {bid_id} of yours")
    return bid


def _require_changeable(conn: sqlite3.Connection, bid: dict[str, Any]) -> None:
    order = _order(conn, bid["order_id"])
    require(moves.may_change_bid(bid["status"], order["status"] if order else OrderStatus.OPEN))


def _queue(
    conn: sqlite3.Connection, intent: str, args: dict[str, Any], kind: str, object_id: str
) -> None:
    with transaction(conn):
        enqueue(conn, intent, args, kind, object_id)


# ---- freelancer ------------------------------------------------------------------------------


def place_bid(
    conn: sqlite3.Connection, *, order_id: str, amount_fen: int, days: int, message: str = ""
) -> dict[str, Any]:
    me = _me(conn)
    _require_role(conn, "freelancer")
    amount_fen, days, message = order_rules.check_bid_terms(amount_fen, days, message)
    order = _order(conn, order_id)
    if order is not None:
        mine = order.get("my_bid") or {}
        live = mine.get("status") in LIVE and mine.get("sync_state") != "rejected"
        require(moves.may_bid(moves.seat_at(order, me), live_bid=live))
    bid_id = new_id()
    _queue(
        conn,
        Intent.PLACE_BID,
        {
            "id": bid_id,
            "order_id": order_id,
            "amount_fen": amount_fen,
            "days": days,
            "message": message,
        },
        "bid",
        bid_id,
    )
    return _bid(conn, bid_id)


def update_bid(
    conn: sqlite3.Connection,
    bid_id: str,
    *,
    amount_fen: int | None = None,
    days: int | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    bid = _my_bid(conn, bid_id, _me(conn))
    _require_changeable(conn, bid)
    if amount_fen is None and days is None and message is None:
        raise InvalidInput("give at least one of --amount, --days, --message")
    order_rules.check_bid_terms(
        amount_fen if amount_fen is not None else bid["amount_fen"],
        days if days is not None else bid["days"],
        message if message is not None else bid.get("message") or "",
    )
    args: dict[str, Any] = {"bid_id": bid_id}
    args.update(
        {
            k: v
            for k, v in (("amount_fen", amount_fen), ("days", days), ("message", message))
            if v is not None
        }
    )
    _queue(conn, Intent.UPDATE_BID, args, "bid", bid_id)
    return _bid(conn, bid_id)


def withdraw_bid(conn: sqlite3.Connection, bid_id: str) -> dict[str, Any]:
    _require_changeable(conn, _my_bid(conn, bid_id, _me(conn)))
    _queue(conn, Intent.WITHDRAW_BID, {"bid_id": bid_id}, "bid", bid_id)
    return _bid(conn, bid_id)


def deliver(
    conn: sqlite3.Connection, *, order_id: str, note: str, files: list[dict[str, Any]]
) -> dict[str, Any]:
    me = _me(conn)
    note = order_rules.check_note(note)
    order = _order(conn, order_id)
    if order is not None:
        require(moves.may_deliver(moves.seat_at(order, me), milestone_statuses(conn, order_id)))
    delivery_id = new_id()
    # A file's local `path` stays here: its content is uploaded once the delivery is taken.
    described = [{k: v for k, v in f.items() if k != "path"} for f in files]
    with transaction(conn):
        _queue(
            conn,
            Intent.DELIVER,
            {"id": delivery_id, "order_id": order_id, "note": note, "files": described},
            "order",
            order_id,
        )
        if files and all("path" in f for f in files):
            record_uploads(conn, delivery_id, files)
    return with_upload_states(
        conn,
        {
            "id": delivery_id,
            "order_id": order_id,
            "note": note,
            "files": described,
            "sync_state": "pending",
            "reject_reason": None,
        },
    )


# ---- messages, reviews, disputes --------------------------------------------------------------


def send_message(
    conn: sqlite3.Connection, *, order_id: str, text: str, to: str | None = None
) -> dict[str, Any]:
    me = _me(conn)
    text = order_rules.check_message_text(text)
    order = _order(conn, order_id)
    if order is not None and order["client_id"] == me and not to:
        to = order.get("freelancer_id")  # once awarded, the client writes to its freelancer
        if not to:
            raise InvalidInput("to: name the freelancer you are writing to", field="to")
    if order is not None:  # a bidder who lost the order holds it closed to them
        thread_of = to if order["client_id"] == me and to else me
        closed = bool(order.get("closed_to_me"))
        closed = closed or thread_closed(order.get("freelancer_id"), thread_of)
        require(moves.may_message(moves.seat_at(order, me), thread_closed=closed))
    message_id = new_id()
    args: dict[str, Any] = {"id": message_id, "order_id": order_id, "text": text}
    if to:
        args["to"] = to
    _queue(conn, Intent.SEND_MESSAGE, args, "message", message_id)
    return next(m for m in queries.list_messages(conn, order_id) if m["id"] == message_id)


def write_review(
    conn: sqlite3.Connection, *, order_id: str, stars: int, text: str = ""
) -> dict[str, Any]:
    me = _me(conn)
    stars, text = order_rules.check_review(stars, text)
    order = _order(conn, order_id)
    reviewed = any(  # once per order (a refused review may be written again)
        review.get("author_id") == me and review.get("sync_state") != "rejected"
        for review in queries.list_reviews(conn, order_id)
    )
    if order is not None:
        require(moves.may_review(moves.seat_at(order, me), reviewed=reviewed))
    elif reviewed:
        require(moves.Refusal("review_exists", "you have reviewed this order already"))
    review_id = new_id()
    _queue(
        conn,
        Intent.WRITE_REVIEW,
        {"id": review_id, "order_id": order_id, "stars": stars, "text": text},
        "order",
        order_id,
    )
    return {
        "id": review_id,
        "order_id": order_id,
        "stars": stars,
        "text": text,
        "sync_state": "pending",
        "reject_reason": None,
    }


def open_dispute(conn: sqlite3.Connection, *, order_id: str, reason: str) -> dict[str, Any]:
    me = _me(conn)
    reason = order_rules.check_note(reason, field="reason")
    order = _order(conn, order_id)
    if order is not None:
        require(moves.may_dispute(moves.seat_at(order, me), milestone_statuses(conn, order_id)))
    _queue(conn, Intent.OPEN_DISPUTE, {"order_id": order_id, "reason": reason}, "order", order_id)
    return _order_or_stub(conn, order_id)


# ---- client ----------------------------------------------------------------------------------


def post_order(
    conn: sqlite3.Connection,
    *,
    title: str,
    description: str,
    category: str,
    tags: list[str],
    budget_min_fen: int,
    budget_max_fen: int,
    deadline: str | None = None,
) -> dict[str, Any]:
    from jiedan_cli.domain.categories import check_category

    _me(conn)
    _require_role(conn, "client")
    args: dict[str, Any] = {
        "title": order_rules.check_title(title),
        "description": order_rules.check_description(description),
        "category": check_category(category),
        "tags": order_rules.check_tags(tags),
    }
    args["budget_min_fen"], args["budget_max_fen"] = order_rules.check_budget(
        budget_min_fen, budget_max_fen
    )
    if deadline is not None:
        today = datetime.now(UTC).date()
        args["deadline"] = order_rules.check_deadline(deadline, today=today).isoformat()  # type: ignore[union-attr]
    order_id = new_id()
    args["id"] = order_id
    _queue(conn, Intent.POST_ORDER, args, "order", order_id)
    return _order_or_stub(conn, order_id)


def _client_move(
    conn: sqlite3.Connection,
    order_id: str,
    rule: Rule,
    intent: str,
    args: dict[str, Any],
) -> dict[str, Any]:
    """A client's move on their order, refused offline (domain/moves) with the server's reason
    when the replica's order does not allow it."""
    me = _me(conn)
    order = _order(conn, order_id)
    if order is not None:
        require(rule(moves.seat_at(order, me)))
    _queue(conn, intent, {"order_id": order_id, **args}, "order", order_id)
    return _order_or_stub(conn, order_id)


def _with_milestones(
    conn: sqlite3.Connection, order_id: str, rule: Callable[..., moves.Refusal | None]
) -> Rule:
    return lambda at: rule(at, milestone_statuses(conn, order_id))


def award(conn: sqlite3.Connection, *, order_id: str, bid_id: str) -> dict[str, Any]:
    return _client_move(conn, order_id, moves.may_award, Intent.AWARD_BID, {"bid_id": bid_id})


def fund(conn: sqlite3.Connection, *, order_id: str) -> dict[str, Any]:
    rule = _with_milestones(conn, order_id, moves.may_fund)
    return _client_move(conn, order_id, rule, Intent.FUND_ORDER, {})


def accept(conn: sqlite3.Connection, *, order_id: str) -> dict[str, Any]:
    rule = _with_milestones(conn, order_id, moves.may_accept)
    return _client_move(conn, order_id, rule, Intent.ACCEPT_ORDER, {})


def revise(conn: sqlite3.Connection, *, order_id: str, note: str) -> dict[str, Any]:
    note = order_rules.check_note(note)
    return _client_move(conn, order_id, moves.may_revise, Intent.REQUEST_REVISION, {"note": note})


def cancel(conn: sqlite3.Connection, *, order_id: str) -> dict[str, Any]:
    return _client_move(conn, order_id, moves.may_cancel, Intent.CANCEL_ORDER, {})


def _order_or_stub(conn: sqlite3.Connection, order_id: str) -> dict[str, Any]:
    order = _order(conn, order_id)
    if order is not None:
        return order
    return {"id": order_id, "sync_state": "pending", "reject_reason": None}


# ---- points ------------------------------------------------------------------------------------


def check_in(conn: sqlite3.Connection, *, now: datetime | None = None) -> dict[str, Any]:
    """Today's check-in (签到), queued: the points it should bring are worked out from the
    check-ins the replica knows (the server decides; its entry replaces this at the next
    pull). Refused at once when today's is here already, synced or waiting."""
    from jiedan_cli.store.earnings import checkin_today

    today = checkin_today(conn, now=now)
    if today["checked_in"]:
        raise Conflict(f"you have checked in today ({today['day']}) already", code="checked_in")
    _queue(conn, Intent.CHECK_IN, {"day": today["day"]}, "points", today["id"])
    return {
        "id": today["id"],
        "kind": "checkin",
        "day": today["day"],
        "streak": today["streak"],
        "amount": today["amount"],
        "sync_state": "pending",
        "reject_reason": None,
    }


def redeem_points(conn: sqlite3.Connection, *, kind: str, points: int) -> dict[str, Any]:
    """Spend points on a fee coupon or on cash (积分兑换), queued under an id made here, so a
    retry or a replayed push spends them once. Refused at once when the points the replica
    knows of, less redemptions still waiting to be sent, cannot cover it (the server decides)."""
    import json

    from jiedan_cli.domain.money import CURRENCY
    from jiedan_cli.domain.points import check_redemption
    from jiedan_cli.store.earnings import points_balance

    value_fen = check_redemption(kind, points)
    waiting = sum(
        int(json.loads(args)["points"])
        for (args,) in conn.execute(
            "SELECT args FROM outbox WHERE intent = ? AND state = 'pending'",
            (Intent.REDEEM_POINTS,),
        )
    )
    have = int(points_balance(conn)["balance"]) - waiting
    if points > have:
        raise Conflict(
            f"you have {max(have, 0):,} points to redeem, not {points:,}",
            code="insufficient_points",
        )
    redemption_id = new_id()
    args = {"id": redemption_id, "kind": kind, "points": points}
    _queue(conn, Intent.REDEEM_POINTS, args, "redemption", redemption_id)
    return {
        **args,
        "value_fen": value_fen,
        "currency": CURRENCY,
        "sync_state": "pending",
        "reject_reason": None,
    }
