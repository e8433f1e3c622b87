"""Messages on an order, between its client and a freelancer who bid on it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from jiedan_cli.domain.order_rules import MESSAGE_TEXT_MAX
from jiedan_cli.server.api.bids import UUID_PATTERN
from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.services import messages
from jiedan_cli.server.services.fields import Text

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["messages"])

UNAUTHORIZED: Responses = {401: {"description": "Not signed in"}}
INVALID: Responses = {422: {"description": "Invalid request (e.g. `to` is not a bidder)"}}
NOT_FOUND: Responses = {404: {"description": "No such order, or no thread of the caller's on it"}}


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=UUID_PATTERN, description="made offline")
    text: Text = Field(min_length=1, max_length=MESSAGE_TEXT_MAX)
    to: str | None = Field(
        default=None, max_length=36, description="the freelancer (required from the client)"
    )


class MessageOut(BaseModel):
    id: str
    order_id: str
    sender_id: str
    recipient_id: str
    text: str
    flagged: bool = Field(description="contact details were masked (no award yet)")
    created_at: str


@router.post(
    "/orders/{order_id}/messages",
    status_code=201,
    response_model=MessageOut,
    responses={**UNAUTHORIZED, **NOT_FOUND, **INVALID, 409: {"description": "The id is taken"}},
)
def send_message(
    order_id: str, body: MessageBody, ctx: Ctx = Depends(authed_ctx)
) -> dict[str, Any]:
    with ctx.db.write() as conn:
        return messages.send_message(
            conn,
            ctx.user,
            order_id=order_id,
            text=body.text,
            to_user_id=body.to,
            now=ctx.now(),
            message_id=body.id,
        )


@router.get(
    "/orders/{order_id}/messages",
    response_model=list[MessageOut],
    responses={**UNAUTHORIZED, **NOT_FOUND},
)
def list_messages(
    order_id: str,
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    limit: int = Query(default=100, ge=1, le=messages.MESSAGES_PAGE_MAX),
    after: str | None = Query(default=None, max_length=36, description="a page's X-Next-Cursor"),
) -> list[dict[str, Any]]:
    """The client: every thread of the order. A freelancer: their own thread. Oldest first,
    a page at a time: when more may follow, the `X-Next-Cursor` header is the `after` of the
    next page."""
    with ctx.db.read() as conn:
        page = messages.list_messages(conn, ctx.user, order_id, limit=limit, after=after)
    if len(page) == limit:
        response.headers["X-Next-Cursor"] = page[-1]["id"]
    return page
