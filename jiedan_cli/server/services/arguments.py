"""One model per operation a client may queue offline (domain/intents.Intent): its REST body
and, merged in, the ids its REST path names — so a pushed operation (sync.md) and a REST
request are checked by the same model, field by field (services/intents.py runs both).

Each body is declared once, as the REST route takes it (its name is the OpenAPI schema's);
the operation's model is the body with the path ids added (`AwardArgs(AwardBody)` adds
`order_id`). A route builds it with `from_request(path, body)`; a push validates the
intent's arguments against it directly. Unknown fields are refused, text is checked for
control characters (services/fields.py), ids are UUIDs.

Account-level bodies (registration, sign-in, passwords, profiles, payouts, staff work) are
no intents and stay with their routers, as does a milestone's (`POST …/milestones`), which
is never queued offline."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from jiedan_cli.domain.categories import CATEGORIES
from jiedan_cli.domain.errors import InvalidInput, NotFound
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
from jiedan_cli.domain.points import REDEEM_MAX_POINTS, REDEEM_MIN_POINTS
from jiedan_cli.server.services.deliveries import FILE_NAME_MAX, FILE_SIZE_MAX
from jiedan_cli.server.services.fields import UUID_PATTERN, Fen, Line, Number, Text, Whole
from jiedan_cli.server.services.plain_errors import plain, where

Id = Annotated[str, Field(pattern=UUID_PATTERN)]
NewId = Annotated[Id | None, Field(description="made offline")]
Days = Annotated[Whole, Field(ge=1, le=BID_DAYS_MAX)]
Note = Annotated[Text, Field(min_length=1, max_length=NOTE_MAX)]
Tag = Annotated[Line, Field(min_length=1, max_length=TAG_MAX)]
CATEGORY_HELP = "one of: " + ", ".join(f"{code} ({label})" for code, label in CATEGORIES.items())


def invalid(exc: ValidationError) -> InvalidInput:
    """InvalidInput naming the first bad field (`files.0.size: …`)."""
    first = exc.errors()[0]
    field = where(first) or "args"
    return InvalidInput(f"{field}: {plain(first)}", field=field)


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def from_request(cls, path: Mapping[str, str], body: BaseModel | None = None) -> Self:
        """The operation a REST request asks for: `body` (already checked as the route's
        body model) with the `path` ids merged in. A path id that is no UUID names nothing:
        NotFound, as for any id the server does not hold."""
        given = body.model_dump(exclude_unset=True) if body is not None else {}
        try:
            return cls.model_validate({**given, **path})
        except ValidationError as exc:
            name = str(exc.errors()[0]["loc"][0])
            if name in path:
                raise NotFound(f"no {name.removesuffix('_id')} {path[name]}") from None
            raise invalid(exc) from None

    @classmethod
    def from_push(cls, args: object) -> Self:
        """A pushed intent's arguments as this model, or InvalidInput naming the first bad
        field (a permanent rejection, never a 500)."""
        if not isinstance(args, dict):
            raise InvalidInput("args: must be an object")
        try:
            return cls.model_validate(args)
        except ValidationError as exc:
            raise invalid(exc) from None


class Location(Args):
    lat: Number = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: Number = Field(ge=-180, le=180, allow_inf_nan=False)
    radius_km: Number = Field(gt=0, le=RADIUS_KM_MAX, allow_inf_nan=False)


# ---- orders -------------------------------------------------------------------------------


class OrderBody(Args):
    """What a client sets; status, counters and the award are not theirs to set."""

    id: NewId = None
    title: Line = Field(min_length=1, max_length=TITLE_MAX)
    description: Text = Field(max_length=DESCRIPTION_MAX)
    category: Line = Field(max_length=50, description=CATEGORY_HELP)
    tags: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX)
    budget_min_fen: Fen
    budget_max_fen: Fen
    deadline: date | None = None
    location: Location | None = None


PostOrderArgs = OrderBody  # nothing in the path: POST /v1/orders


class OrderPatch(Args):
    """Any of these while the order is open; `deadline` and `location` may be null."""

    title: Line | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: Text | None = Field(default=None, max_length=DESCRIPTION_MAX)
    category: Line | None = Field(default=None, max_length=50, description=CATEGORY_HELP)
    tags: list[Tag] | None = Field(default=None, max_length=TAGS_MAX)
    budget_min_fen: Fen | None = None
    budget_max_fen: Fen | None = None
    deadline: date | None = None
    location: Location | None = None


class EditOrderArgs(OrderPatch):
    order_id: Id


class CancelBody(Args):
    note: Text = Field(default="", max_length=CANCEL_NOTE_MAX)


class CancelOrderArgs(CancelBody):
    order_id: Id


class AwardBody(Args):
    bid_id: Id


class AwardArgs(AwardBody):
    order_id: Id


# ---- bids ---------------------------------------------------------------------------------


class BidBody(Args):
    """What a freelancer sets; status and the order's counters are not theirs to set."""

    id: NewId = None
    amount_fen: Fen
    days: Days
    message: Text = Field(default="", max_length=BID_MESSAGE_MAX)


class PlaceBidArgs(BidBody):
    order_id: Id


class BidPatch(Args):
    amount_fen: Fen | None = None
    days: Days | None = None
    message: Text | None = Field(default=None, max_length=BID_MESSAGE_MAX)


class UpdateBidArgs(BidPatch):
    bid_id: Id


class WithdrawBidArgs(Args):
    bid_id: Id


# ---- messages, reviews and points ---------------------------------------------------------


class MessageBody(Args):
    id: NewId = None
    text: Text = Field(min_length=1, max_length=MESSAGE_TEXT_MAX)
    to: Id | None = Field(default=None, description="the freelancer (required from the client)")


class SendMessageArgs(MessageBody):
    order_id: Id


class ReviewBody(Args):
    id: NewId = None
    stars: Whole = Field(ge=1, le=5)
    text: Text = Field(default="", max_length=REVIEW_TEXT_MAX)


class WriteReviewArgs(ReviewBody):
    order_id: Id


class CheckinBody(Args):
    day: date | None = Field(
        default=None, description="YYYY-MM-DD in China; today when left out, yesterday offline"
    )


CheckInArgs = CheckinBody  # nothing in the path: POST /v1/points/checkin


class RedeemBody(Args):
    id: NewId = None
    kind: Literal["coupon", "cash"] = Field(description="a fee coupon, or cash to earnings")
    points: Whole = Field(ge=REDEEM_MIN_POINTS, le=REDEEM_MAX_POINTS)


RedeemArgs = RedeemBody  # nothing in the path: POST /v1/points/redeem


# ---- work and escrow ----------------------------------------------------------------------


class OrderArgs(Args):
    """An operation on an order that takes nothing but the order (accept, approve a refund)."""

    order_id: Id


class FundBody(Args):
    milestone_id: Id | None = Field(
        default=None, description="default: the first unfunded milestone"
    )


class FundOrderArgs(FundBody):
    order_id: Id


class DeliveredFile(Args):
    name: Line = Field(min_length=1, max_length=FILE_NAME_MAX)
    size: StrictInt = Field(ge=0, le=FILE_SIZE_MAX)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


class DeliveryBody(Args):
    id: NewId = None
    note: Note
    files: list[DeliveredFile] = Field(default_factory=list, max_length=FILES_MAX)


class DeliverArgs(DeliveryBody):
    order_id: Id


class NoteBody(Args):
    note: Note


class RevisionArgs(NoteBody):
    order_id: Id


class ReasonBody(Args):
    reason: Note


class RefundArgs(ReasonBody):
    order_id: Id


class DisputeBody(ReasonBody):
    id: NewId = None


class DisputeArgs(DisputeBody):
    order_id: Id
