"""Bids: a freelancer bids on an open order, edits or withdraws it until the award.
Sealed: the author and the order's client see a bid; everyone else only the count."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, TypeAdapter

from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.states import BidStatus
from jiedan_cli.server.api.deps import Ctx, authed_ctx, in_write_turn
from jiedan_cli.server.api.holds import HELD
from jiedan_cli.server.api.pages import PAGED, page_params, send_page
from jiedan_cli.server.services import bids
from jiedan_cli.server.services.arguments import (
    BidBody,
    BidPatch,
    PlaceBidArgs,
    UpdateBidArgs,
    WithdrawBidArgs,
)
from jiedan_cli.server.services.pages import PageRequest

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["bids"])

UNAUTHORIZED: Responses = {401: {"description": "Not signed in"}}
INVALID: Responses = {422: {"description": "Invalid request"}}
NOT_FOUND: Responses = {404: {"description": "No such order or bid (or not yours)"}}
REFUSED: Responses = {
    403: {"description": "The caller lacks the freelancer role"},
    409: {"description": "Not allowed in this state (order not open, bid exists, daily limit …)"},
}


class BidOut(BaseModel):
    id: str
    order_id: str
    freelancer_id: str
    amount_fen: int
    currency: str
    days: int
    message: str
    status: BidStatus
    created_at: str
    updated_at: str


BID_OUT = TypeAdapter(BidOut)


def rendered(model: TypeAdapter[Any], value: Any, *, status_code: int = 200) -> Response:
    """`value` checked against and rendered by `model`, as FastAPI would for a sync route's
    `response_model` — but here, in the route's thread: FastAPI sends that check to the
    threadpool once more, a second thread hop on the busiest routes (P5, P6)."""
    body = model.dump_json(model.validate_python(value))
    return Response(body, status_code=status_code, media_type="application/json")


@router.post(
    "/orders/{order_id}/bids",
    status_code=201,
    response_model=BidOut,
    responses={**HELD, **UNAUTHORIZED, **NOT_FOUND, **REFUSED, **INVALID},
)
async def place_bid(order_id: str, body: BidBody, ctx: Ctx = Depends(authed_ctx)) -> Response:
    args = PlaceBidArgs.from_request({"order_id": order_id}, body)

    def place() -> Response:
        return rendered(BID_OUT, ctx.perform(Intent.PLACE_BID, args), status_code=201)

    return await in_write_turn(ctx.db, place, grouped=True)


@router.get(
    "/orders/{order_id}/bids",
    response_model=list[BidOut],
    responses={**PAGED, **UNAUTHORIZED, **NOT_FOUND},
)
def bids_on_order(
    order_id: str,
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The order's client: every bid. Anyone else: their own bids on it. Oldest first, a
    page at a time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        return send_page(response, bids.bids_on_order(conn, ctx.user, order_id, page))


@router.get("/bids", response_model=list[BidOut], responses={**PAGED, **UNAUTHORIZED, **INVALID})
def my_bids(
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    order_id: str | None = Query(default=None, max_length=36),
    status: BidStatus | None = None,
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The caller's bids, newest first, a page at a time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        found = bids.my_bids(conn, ctx.user, order_id=order_id, status=status, page=page)
    return send_page(response, found)


@router.patch(
    "/bids/{bid_id}",
    response_model=BidOut,
    responses={**UNAUTHORIZED, **NOT_FOUND, **REFUSED, **INVALID},
)
async def update_bid(bid_id: str, body: BidPatch, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    args = UpdateBidArgs.from_request({"bid_id": bid_id}, body)
    return await in_write_turn(ctx.db, lambda: ctx.perform(Intent.UPDATE_BID, args), grouped=True)


@router.post(
    "/bids/{bid_id}/withdraw",
    response_model=BidOut,
    responses={**UNAUTHORIZED, **NOT_FOUND, **REFUSED},
)
async def withdraw_bid(bid_id: str, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    args = WithdrawBidArgs.from_request({"bid_id": bid_id})
    return await in_write_turn(ctx.db, lambda: ctx.perform(Intent.WITHDRAW_BID, args), grouped=True)
