"""Work on an awarded order: milestones, funding escrow, deliveries, revision, acceptance,
refunds and disputes. The two parties only; everyone else gets 404 for private things."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.states import MilestoneStatus
from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.api.holds import HELD
from jiedan_cli.server.api.orders import OrderOut
from jiedan_cli.server.api.pages import PAGED, page_params, send_page
from jiedan_cli.server.services import escrow, funding
from jiedan_cli.server.services.arguments import (
    DeliverArgs,
    DeliveryBody,
    DisputeArgs,
    DisputeBody,
    FundBody,
    FundOrderArgs,
    NoteBody,
    OrderArgs,
    ReasonBody,
    RefundArgs,
    RevisionArgs,
)
from jiedan_cli.server.services.fields import UUID_PATTERN, Fen, Line
from jiedan_cli.server.services.pages import PageRequest

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["work"])

ERRORS: Responses = {
    401: {"description": "Not signed in"},
    403: {"description": "The caller is not the party who may do this"},
    404: {"description": "No such order (or not visible to the caller)"},
    409: {"description": "Not allowed in the order's or milestone's state"},
    422: {"description": "Invalid request"},
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MilestoneBody(Strict):
    id: str | None = Field(default=None, pattern=UUID_PATTERN, description="made offline")
    title: Line = Field(min_length=1, max_length=200)
    amount_fen: Fen


class MilestoneOut(BaseModel):
    id: str
    order_id: str
    position: int
    title: str
    amount_fen: int
    currency: str
    status: MilestoneStatus
    funded_at: str | None
    submitted_at: str | None
    settled_at: str | None
    created_at: str
    updated_at: str


class IntentOut(BaseModel):
    id: str
    provider: str
    order_id: str
    milestone_id: str
    amount_fen: int = Field(description="what the client pays: the milestone less coupon_fen")
    coupon_fen: int = Field(
        0, description="the first-order coupon (新客首单券) the platform pays into escrow"
    )
    currency: str
    status: str = Field(description="pending | succeeded | failed")
    created_at: str


class FundOut(BaseModel):
    order: OrderOut
    milestone: MilestoneOut
    payment_intent: IntentOut


class DeliveryFileOut(BaseModel):
    name: str
    size: int
    sha256: str
    uploaded: bool = Field(
        default=False, description="its content is on the server (GET …/files/{index})"
    )


class DeliveryOut(BaseModel):
    id: str
    order_id: str
    milestone_id: str | None
    freelancer_id: str
    note: str
    files: list[DeliveryFileOut]
    created_at: str


@router.get(
    "/orders/{order_id}/milestones",
    response_model=list[MilestoneOut],
    responses={**PAGED, **ERRORS},
)
def list_milestones(
    order_id: str,
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The order's milestones in their order, a page at a time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        return send_page(response, escrow.list_milestones(conn, ctx.user, order_id, page))


@router.post(
    "/orders/{order_id}/milestones",
    status_code=201,
    response_model=MilestoneOut,
    responses=ERRORS,
)
def add_milestone(
    order_id: str, body: MilestoneBody, ctx: Ctx = Depends(authed_ctx)
) -> dict[str, Any]:
    with ctx.db.write() as conn:
        return escrow.add_milestone(
            conn,
            ctx.user,
            order_id=order_id,
            title=body.title,
            amount_fen=body.amount_fen,
            now=ctx.now(),
            milestone_id=body.id,
            unverified_max_order_fen=ctx.settings.unverified_max_award_fen,
        )


@router.post("/orders/{order_id}/fund", response_model=FundOut, responses={**HELD, **ERRORS})
def fund_order(
    order_id: str, body: FundBody | None = Body(default=None), ctx: Ctx = Depends(authed_ctx)
) -> dict[str, Any]:
    """Pay a milestone into escrow through the payment provider. With the bundled sandbox
    the provider's signed notification is delivered as soon as the payment intent is
    committed, so the answer normally shows the milestone funded, the order in_progress."""
    args = FundOrderArgs.from_request({"order_id": order_id}, body)
    started = ctx.perform(Intent.FUND_ORDER, args)
    return funding.deliver_own_notification(ctx.db, ctx.settings, ctx.now(), started)


@router.post(
    "/orders/{order_id}/deliveries",
    status_code=201,
    response_model=DeliveryOut,
    responses=ERRORS,
)
def deliver(order_id: str, body: DeliveryBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    return ctx.perform(Intent.DELIVER, DeliverArgs.from_request({"order_id": order_id}, body))


@router.get(
    "/orders/{order_id}/deliveries",
    response_model=list[DeliveryOut],
    responses={**PAGED, **ERRORS},
)
def list_deliveries(
    order_id: str,
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The order's deliveries, oldest first, a page at a time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        return send_page(response, escrow.list_deliveries(conn, ctx.user, order_id, page))


@router.post("/orders/{order_id}/revise", response_model=OrderOut, responses=ERRORS)
def request_revision(order_id: str, body: NoteBody, ctx: Ctx = Depends(authed_ctx)) -> Any:
    args = RevisionArgs.from_request({"order_id": order_id}, body)
    return ctx.perform(Intent.REQUEST_REVISION, args)


@router.post("/orders/{order_id}/accept", response_model=OrderOut, responses=ERRORS)
def accept_order(order_id: str, ctx: Ctx = Depends(authed_ctx)) -> Any:
    """Release the delivered milestone(s) to the freelancer, less the platform fee."""
    return ctx.perform(Intent.ACCEPT_ORDER, OrderArgs.from_request({"order_id": order_id}))


@router.post("/orders/{order_id}/refund-request", response_model=OrderOut, responses=ERRORS)
def request_refund(order_id: str, body: ReasonBody, ctx: Ctx = Depends(authed_ctx)) -> Any:
    args = RefundArgs.from_request({"order_id": order_id}, body)
    return ctx.perform(Intent.REQUEST_REFUND, args)


@router.post("/orders/{order_id}/refund-approve", response_model=OrderOut, responses=ERRORS)
def approve_refund(order_id: str, ctx: Ctx = Depends(authed_ctx)) -> Any:
    return ctx.perform(Intent.APPROVE_REFUND, OrderArgs.from_request({"order_id": order_id}))


@router.post("/orders/{order_id}/dispute", response_model=OrderOut, responses=ERRORS)
def open_dispute(order_id: str, body: DisputeBody, ctx: Ctx = Depends(authed_ctx)) -> Any:
    args = DisputeArgs.from_request({"order_id": order_id}, body)
    return ctx.perform(Intent.OPEN_DISPUTE, args)
