"""The protection fund (保险机制; services/protection.py): finance and admins read what it holds
and compensate a defrauded party of a disputed order from it."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from jiedan_cli.domain.money import MAX_AMOUNT_FEN
from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.services import protection
from jiedan_cli.server.services.fields import UUID_PATTERN, Text

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["staff"])

ERRORS: Responses = {
    401: {"description": "Not signed in"},
    403: {"description": "The caller's role may not do this, or is party to the order"},
    422: {"description": "Invalid request"},
}


class FundOut(BaseModel):
    account: str
    balance_fen: int
    balance_yuan: str
    currency: str


class CompensateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=UUID_PATTERN, description="chosen by the caller: a retry pays once")
    to: Literal["client", "freelancer"]
    amount_fen: StrictInt = Field(ge=1, le=MAX_AMOUNT_FEN)
    reason: Text = Field(min_length=1, max_length=protection.REASON_MAX)


class CompensationOut(BaseModel):
    id: str
    transfer_id: str
    order_id: str
    to: str
    recipient_id: str
    amount_fen: int
    currency: str
    created_at: str


@router.get("/staff/protection", response_model=FundOut, responses=ERRORS)
def fund(ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """What the protection fund holds (finance, admins)."""
    with ctx.db.read() as conn:
        return protection.fund_view(conn, ctx.user)


@router.post(
    "/staff/disputes/{order_id}/compensate",
    response_model=CompensationOut,
    responses={
        **ERRORS,
        404: {"description": "No such order"},
        409: {"description": "The order had no dispute, the fund holds less, or the id is taken"},
    },
)
def compensate(order_id: str, body: CompensateBody, ctx: Ctx = Depends(authed_ctx)) -> Any:
    """Pay a party of a disputed order from the protection fund (finance, admins); never more
    than the fund holds. A repeated `id` returns the first payout."""
    with ctx.db.write() as conn:
        return protection.compensate(
            conn,
            ctx.user,
            order_id=order_id,
            to=body.to,
            amount_fen=body.amount_fen,
            reason=body.reason,
            compensation_id=body.id,
            now=ctx.now(),
        )
