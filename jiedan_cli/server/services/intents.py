"""The operations a client may queue offline and push (sync.md), each a name
(domain/intents.Intent), an argument model (services/arguments.py) and a call to a service.
The REST routes and the push both go through `perform` with a model of MODELS, so a pushed
operation and a REST request are checked alike and run the same service.

Services are imported when an intent runs, so a module that is missing or broken fails only
its own intents."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from types import ModuleType
from typing import Any, TypeVar

from jiedan_cli.domain.errors import InvalidInput, Refused
from jiedan_cli.domain.intents import Intent
from jiedan_cli.server.config import Settings
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.arguments import (
    Args,
    AwardArgs,
    CancelOrderArgs,
    CheckInArgs,
    DeliverArgs,
    DisputeArgs,
    EditOrderArgs,
    FundOrderArgs,
    OrderArgs,
    PlaceBidArgs,
    PostOrderArgs,
    RedeemArgs,
    RefundArgs,
    RevisionArgs,
    SendMessageArgs,
    UpdateBidArgs,
    WithdrawBidArgs,
    WriteReviewArgs,
)
from jiedan_cli.server.services.risk import Origin

IntentFn = Callable[..., dict[str, Any]]
"""call(conn, actor, args: the intent's model, *, now, settings, origin) -> the result."""

MODELS: dict[Intent, type[Args]] = {}
"""Each intent's argument model: a push's `args` and a REST request (path ids merged) alike."""

CALLS: dict[Intent, IntentFn] = {}

M = TypeVar("M", bound=Args)


def service(name: str) -> ModuleType:
    """The service module `name`; an intent whose service is absent is refused, not a 500."""
    try:
        return importlib.import_module(f"jiedan_cli.server.services.{name}")
    except ImportError as exc:
        raise Refused(
            f"this server cannot do that yet ({name} is unavailable)", code="intent_unavailable"
        ) from exc


def intent(name: Intent, model: type[M]) -> Callable[[Callable[..., Any]], IntentFn]:
    """Register `call(conn, actor, args: model, *, now, settings)` as the intent `name`."""

    def register(call: Callable[..., Any]) -> IntentFn:
        MODELS[name] = model
        CALLS[name] = call
        return call

    return register


def perform(
    conn: Any,
    actor: Actor,
    name: Intent,
    args: Args,
    *,
    now: datetime,
    settings: Settings,
    origin: Origin,
) -> dict[str, Any]:
    """Run the intent `name` on `args`, an instance of MODELS[name] (from a REST request's
    `from_request` or a push's `from_push`), from `origin` (the request's install and
    address, for the risk engine: services/risk.py)."""
    model = MODELS[name]
    if type(args) is not model:
        raise TypeError(f"{name} takes {model.__name__}, not {type(args).__name__}")
    return CALLS[name](conn, actor, args, now=now, settings=settings, origin=origin)


def apply_intent(
    conn: Any,
    actor: Actor,
    name: str,
    args: object,
    *,
    now: datetime,
    settings: Settings,
    origin: Origin,
) -> dict[str, Any]:
    """A pushed operation: its arguments checked against the intent's model, then run."""
    if name not in MODELS:
        raise InvalidInput(
            f"intent: {name!r} is not an operation this server knows",
            code="unknown_intent",
            field="intent",
        )
    known = Intent(name)
    model = MODELS[known].from_push(args)
    return perform(conn, actor, known, model, now=now, settings=settings, origin=origin)


# ---- orders -------------------------------------------------------------------------------


@intent(Intent.POST_ORDER, PostOrderArgs)
def _post_order(conn: Any, actor: Actor, a: PostOrderArgs, **when: Any) -> Any:
    return service("orders").post_order(
        conn,
        actor,
        title=a.title,
        description=a.description,
        category=a.category,
        tags=a.tags,
        budget_min_fen=a.budget_min_fen,
        budget_max_fen=a.budget_max_fen,
        deadline=a.deadline,
        lat=a.location.lat if a.location else None,
        lon=a.location.lon if a.location else None,
        radius_km=a.location.radius_km if a.location else None,
        now=when["now"],
        order_id=a.id,
        origin=when["origin"],
    )


@intent(Intent.EDIT_ORDER, EditOrderArgs)
def _edit_order(conn: Any, actor: Actor, a: EditOrderArgs, **when: Any) -> Any:
    changes = a.model_dump(exclude_unset=True, exclude={"order_id"})
    return service("orders").edit_order(conn, actor, a.order_id, changes, now=when["now"])


@intent(Intent.CANCEL_ORDER, CancelOrderArgs)
def _cancel_order(conn: Any, actor: Actor, a: CancelOrderArgs, **when: Any) -> Any:
    return service("orders").cancel_order(conn, actor, a.order_id, now=when["now"], note=a.note)


# ---- bids ---------------------------------------------------------------------------------


@intent(Intent.PLACE_BID, PlaceBidArgs)
def _place_bid(conn: Any, actor: Actor, a: PlaceBidArgs, **when: Any) -> Any:
    return service("bids").place_bid(
        conn,
        actor,
        order_id=a.order_id,
        amount_fen=a.amount_fen,
        days=a.days,
        message=a.message,
        now=when["now"],
        bid_id=a.id,
        unverified_bids_per_day=when["settings"].unverified_bids_per_day,
        origin=when["origin"],
    )


@intent(Intent.UPDATE_BID, UpdateBidArgs)
def _update_bid(conn: Any, actor: Actor, a: UpdateBidArgs, **when: Any) -> Any:
    return service("bids").update_bid(
        conn,
        actor,
        a.bid_id,
        amount_fen=a.amount_fen,
        days=a.days,
        message=a.message,
        now=when["now"],
    )


@intent(Intent.WITHDRAW_BID, WithdrawBidArgs)
def _withdraw_bid(conn: Any, actor: Actor, a: WithdrawBidArgs, **when: Any) -> Any:
    return service("bids").withdraw_bid(conn, actor, a.bid_id, now=when["now"])


@intent(Intent.AWARD_BID, AwardArgs)
def _award_bid(conn: Any, actor: Actor, a: AwardArgs, **when: Any) -> Any:
    return service("bids").award_bid(
        conn,
        actor,
        order_id=a.order_id,
        bid_id=a.bid_id,
        now=when["now"],
        unverified_max_award_fen=when["settings"].unverified_max_award_fen,
        origin=when["origin"],
    )


# ---- messages and reviews -----------------------------------------------------------------


@intent(Intent.SEND_MESSAGE, SendMessageArgs)
def _send_message(conn: Any, actor: Actor, a: SendMessageArgs, **when: Any) -> Any:
    return service("messages").send_message(
        conn,
        actor,
        order_id=a.order_id,
        text=a.text,
        to_user_id=a.to,
        now=when["now"],
        message_id=a.id,
        origin=when["origin"],
    )


@intent(Intent.WRITE_REVIEW, WriteReviewArgs)
def _write_review(conn: Any, actor: Actor, a: WriteReviewArgs, **when: Any) -> Any:
    return service("reviews").write_review(
        conn,
        actor,
        order_id=a.order_id,
        stars=a.stars,
        text=a.text,
        now=when["now"],
        review_id=a.id,
    )


@intent(Intent.CHECK_IN, CheckInArgs)
def _check_in(conn: Any, actor: Actor, a: CheckInArgs, **when: Any) -> Any:
    return service("points").check_in(conn, actor, now=when["now"], day=a.day)


@intent(Intent.REDEEM_POINTS, RedeemArgs)
def _redeem_points(conn: Any, actor: Actor, a: RedeemArgs, **when: Any) -> Any:
    return service("redemptions").redeem_points(
        conn, actor, kind=a.kind, points=a.points, now=when["now"], redemption_id=a.id
    )


# ---- work and escrow ----------------------------------------------------------------------


@intent(Intent.DELIVER, DeliverArgs)
def _deliver(conn: Any, actor: Actor, a: DeliverArgs, **when: Any) -> Any:
    return service("escrow").deliver(
        conn,
        actor,
        order_id=a.order_id,
        note=a.note,
        files=[f.model_dump() for f in a.files],
        now=when["now"],
        delivery_id=a.id,
        max_file_bytes=when["settings"].max_delivery_file_bytes,
    )


@intent(Intent.FUND_ORDER, FundOrderArgs)
def _fund_order(conn: Any, actor: Actor, a: FundOrderArgs, **when: Any) -> Any:
    return service("escrow").fund_order(
        conn,
        actor,
        order_id=a.order_id,
        now=when["now"],
        milestone_id=a.milestone_id,
        origin=when["origin"],
        coupon_cap_fen=when["settings"].first_order_coupon_fen,
    )


@intent(Intent.REQUEST_REVISION, RevisionArgs)
def _request_revision(conn: Any, actor: Actor, a: RevisionArgs, **when: Any) -> Any:
    return service("escrow").request_revision(
        conn, actor, order_id=a.order_id, note=a.note, now=when["now"]
    )


@intent(Intent.ACCEPT_ORDER, OrderArgs)
def _accept_order(conn: Any, actor: Actor, a: OrderArgs, **when: Any) -> Any:
    return service("escrow").accept_order(
        conn,
        actor,
        order_id=a.order_id,
        now=when["now"],
        protection_pct=when["settings"].protection_share_pct,
    )


@intent(Intent.REQUEST_REFUND, RefundArgs)
def _request_refund(conn: Any, actor: Actor, a: RefundArgs, **when: Any) -> Any:
    return service("escrow").request_refund(
        conn, actor, order_id=a.order_id, reason=a.reason, now=when["now"]
    )


@intent(Intent.APPROVE_REFUND, OrderArgs)
def _approve_refund(conn: Any, actor: Actor, a: OrderArgs, **when: Any) -> Any:
    return service("escrow").approve_refund(conn, actor, order_id=a.order_id, now=when["now"])


@intent(Intent.OPEN_DISPUTE, DisputeArgs)
def _open_dispute(conn: Any, actor: Actor, a: DisputeArgs, **when: Any) -> Any:
    return service("escrow").open_dispute(
        conn, actor, order_id=a.order_id, reason=a.reason, now=when["now"], dispute_id=a.id
    )
