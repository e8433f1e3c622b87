"""The operations a client may queue offline and push (sync.md). An intent is a name, an
argument model and a call to the same service the REST route calls, so a pushed operation
and a REST request behave alike. Arguments are checked with pydantic (unknown fields refused,
the REST bodies' bounds) — a malformed operation is a permanent rejection, never a 500.

Services are imported when an intent runs, so a module that is missing or broken fails only
its own intents. (Argument models live here rather than in the routers: services must not
import the API layer, and an intent names its target objects in its arguments, where a REST
body has them in the path.)"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, datetime
from types import ModuleType
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from jiedan_cli.domain.errors import InvalidInput, Refused
from jiedan_cli.domain.order_rules import (
    BID_DAYS_MAX,
    BID_MESSAGE_MAX,
    CANCEL_NOTE_MAX,
    DESCRIPTION_MAX,
    FILES_MAX,
    MESSAGE_TEXT_MAX,
    NOTE_MAX,
    RADIUS_KM_MAX,
    REVIEW_TEXT_MAX,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
)
from jiedan_cli.server.config import Settings
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.fields import Fen, Line, Number, Text

Id = Annotated[
    str,
    Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
]
Days = Annotated[StrictInt, Field(ge=1, le=BID_DAYS_MAX)]
Note = Annotated[Text, Field(min_length=1, max_length=NOTE_MAX)]


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- argument models ----------------------------------------------------------------------


class Location(Args):
    lat: Number = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: Number = Field(ge=-180, le=180, allow_inf_nan=False)
    radius_km: Number = Field(gt=0, le=RADIUS_KM_MAX, allow_inf_nan=False)


class PostOrderArgs(Args):
    id: Id | None = None
    title: Line = Field(min_length=1, max_length=TITLE_MAX)
    description: Text = Field(default="", max_length=DESCRIPTION_MAX)
    category: Line = Field(min_length=1, max_length=50)
    tags: list[Annotated[Line, Field(min_length=1, max_length=TAG_MAX)]] = Field(
        default_factory=list, max_length=TAGS_MAX
    )
    budget_min_fen: Fen
    budget_max_fen: Fen
    deadline: date | None = None
    location: Location | None = None


class EditOrderArgs(Args):
    order_id: Id
    title: Line | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: Text | None = Field(default=None, max_length=DESCRIPTION_MAX)
    category: Line | None = Field(default=None, min_length=1, max_length=50)
    tags: list[Annotated[Line, Field(min_length=1, max_length=TAG_MAX)]] | None = Field(
        default=None, max_length=TAGS_MAX
    )
    budget_min_fen: Fen | None = None
    budget_max_fen: Fen | None = None
    deadline: date | None = None
    location: Location | None = None


class CancelOrderArgs(Args):
    order_id: Id
    note: Text = Field(default="", max_length=CANCEL_NOTE_MAX)


class PlaceBidArgs(Args):
    id: Id | None = None
    order_id: Id
    amount_fen: Fen
    days: Days
    message: Text = Field(default="", max_length=BID_MESSAGE_MAX)


class UpdateBidArgs(Args):
    bid_id: Id
    amount_fen: Fen | None = None
    days: Days | None = None
    message: Text | None = Field(default=None, max_length=BID_MESSAGE_MAX)


class BidArgs(Args):
    bid_id: Id


class AwardBidArgs(Args):
    order_id: Id
    bid_id: Id


class SendMessageArgs(Args):
    id: Id | None = None
    order_id: Id
    text: Text = Field(min_length=1, max_length=MESSAGE_TEXT_MAX)
    to: Id | None = None


class DeliveredFile(Args):
    name: Line = Field(min_length=1, max_length=255)
    size: StrictInt = Field(ge=0, le=1 << 40)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


class DeliverArgs(Args):
    id: Id | None = None
    order_id: Id
    note: Note
    files: list[DeliveredFile] = Field(default_factory=list, max_length=FILES_MAX)


class OrderArgs(Args):
    order_id: Id


class CheckinArgs(Args):
    day: date | None = None


class FundOrderArgs(Args):
    order_id: Id
    milestone_id: Id | None = None


class OrderNoteArgs(Args):
    order_id: Id
    note: Note


class OrderReasonArgs(Args):
    order_id: Id
    reason: Note


class OpenDisputeArgs(OrderReasonArgs):
    id: Id | None = None


class WriteReviewArgs(Args):
    id: Id | None = None
    order_id: Id
    stars: StrictInt = Field(ge=1, le=5)
    text: Text = Field(default="", max_length=REVIEW_TEXT_MAX)


# ---- the registry -------------------------------------------------------------------------

IntentFn = Callable[..., dict[str, Any]]
"""fn(conn, actor, args: dict, *, now, settings) -> the result (JSON-ready dict)."""

INTENTS: dict[str, IntentFn] = {}

M = TypeVar("M", bound=Args)


def validated(model: type[M], args: object) -> M:
    """`args` as `model`, or InvalidInput naming the first bad field."""
    if not isinstance(args, dict):
        raise InvalidInput("args: must be an object")
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "args"
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from None


def service(name: str) -> ModuleType:
    """The service module `name`; an intent whose service is absent is refused, not a 500."""
    try:
        return importlib.import_module(f"jiedan_cli.server.services.{name}")
    except ImportError as exc:
        raise Refused(
            f"this server cannot do that yet ({name} is unavailable)", code="intent_unavailable"
        ) from exc


def intent(name: str, model: type[M]) -> Callable[[Callable[..., dict[str, Any]]], IntentFn]:
    """Register `call(conn, actor, args: model, *, now, settings)` as the intent `name`."""

    def register(call: Callable[..., dict[str, Any]]) -> IntentFn:
        def run(
            conn: Any, actor: Actor, args: object, *, now: datetime, settings: Settings
        ) -> dict[str, Any]:
            return call(conn, actor, validated(model, args), now=now, settings=settings)

        run.__name__ = name
        INTENTS[name] = run
        return run

    return register


def apply_intent(
    conn: Any, actor: Actor, name: str, args: object, *, now: datetime, settings: Settings
) -> dict[str, Any]:
    run = INTENTS.get(name)
    if run is None:
        raise InvalidInput(
            f"intent: {name!r} is not an operation this server knows",
            code="unknown_intent",
            field="intent",
        )
    return run(conn, actor, args, now=now, settings=settings)


# ---- orders -------------------------------------------------------------------------------


@intent("post_order", PostOrderArgs)
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
    )


@intent("edit_order", EditOrderArgs)
def _edit_order(conn: Any, actor: Actor, a: EditOrderArgs, **when: Any) -> Any:
    changes = a.model_dump(exclude_unset=True, exclude={"order_id"})
    return service("orders").edit_order(conn, actor, a.order_id, changes, now=when["now"])


@intent("cancel_order", CancelOrderArgs)
def _cancel_order(conn: Any, actor: Actor, a: CancelOrderArgs, **when: Any) -> Any:
    return service("orders").cancel_order(conn, actor, a.order_id, now=when["now"], note=a.note)


# ---- bids ---------------------------------------------------------------------------------


@intent("place_bid", PlaceBidArgs)
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
    )


@intent("update_bid", UpdateBidArgs)
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


@intent("withdraw_bid", BidArgs)
def _withdraw_bid(conn: Any, actor: Actor, a: BidArgs, **when: Any) -> Any:
    return service("bids").withdraw_bid(conn, actor, a.bid_id, now=when["now"])


@intent("award_bid", AwardBidArgs)
def _award_bid(conn: Any, actor: Actor, a: AwardBidArgs, **when: Any) -> Any:
    return service("bids").award_bid(
        conn,
        actor,
        order_id=a.order_id,
        bid_id=a.bid_id,
        now=when["now"],
        unverified_max_award_fen=when["settings"].unverified_max_award_fen,
    )


# ---- messages and reviews -----------------------------------------------------------------


@intent("send_message", SendMessageArgs)
def _send_message(conn: Any, actor: Actor, a: SendMessageArgs, **when: Any) -> Any:
    return service("messages").send_message(
        conn,
        actor,
        order_id=a.order_id,
        text=a.text,
        to_user_id=a.to,
        now=when["now"],
        message_id=a.id,
    )


@intent("write_review", WriteReviewArgs)
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


@intent("check_in", CheckinArgs)
def _check_in(conn: Any, actor: Actor, a: CheckinArgs, **when: Any) -> Any:
    return service("points").check_in(conn, actor, now=when["now"], day=a.day)


# ---- work and escrow ----------------------------------------------------------------------


@intent("deliver", DeliverArgs)
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


@intent("fund_order", FundOrderArgs)
def _fund_order(conn: Any, actor: Actor, a: FundOrderArgs, **when: Any) -> Any:
    return service("escrow").fund_order(
        conn, actor, order_id=a.order_id, now=when["now"], milestone_id=a.milestone_id
    )


@intent("request_revision", OrderNoteArgs)
def _request_revision(conn: Any, actor: Actor, a: OrderNoteArgs, **when: Any) -> Any:
    return service("escrow").request_revision(
        conn, actor, order_id=a.order_id, note=a.note, now=when["now"]
    )


@intent("accept_order", OrderArgs)
def _accept_order(conn: Any, actor: Actor, a: OrderArgs, **when: Any) -> Any:
    return service("escrow").accept_order(conn, actor, order_id=a.order_id, now=when["now"])


@intent("request_refund", OrderReasonArgs)
def _request_refund(conn: Any, actor: Actor, a: OrderReasonArgs, **when: Any) -> Any:
    return service("escrow").request_refund(
        conn, actor, order_id=a.order_id, reason=a.reason, now=when["now"]
    )


@intent("approve_refund", OrderArgs)
def _approve_refund(conn: Any, actor: Actor, a: OrderArgs, **when: Any) -> Any:
    return service("escrow").approve_refund(conn, actor, order_id=a.order_id, now=when["now"])


@intent("open_dispute", OpenDisputeArgs)
def _open_dispute(conn: Any, actor: Actor, a: OpenDisputeArgs, **when: Any) -> Any:
    return service("escrow").open_dispute(
        conn, actor, order_id=a.order_id, reason=a.reason, now=when["now"], dispute_id=a.id
    )
