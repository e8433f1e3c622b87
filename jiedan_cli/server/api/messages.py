"""Messages on an order, between its client and a freelancer who bid on it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from jiedan_cli.domain.intents import Intent
from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.api.holds import HELD
from jiedan_cli.server.api.pages import PAGED, page_params, send_page
from jiedan_cli.server.services import messages
from jiedan_cli.server.services.arguments import MessageBody, SendMessageArgs
from jiedan_cli.server.services.pages import PageRequest

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["messages"])

UNAUTHORIZED: Responses = {401: {"description": "Not signed in"}}
INVALID: Responses = {422: {"description": "Invalid request (e.g. `to` is not a bidder)"}}
NOT_FOUND: Responses = {404: {"description": "No such order, or no thread of the caller's on it"}}


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
    responses={
        **HELD,
        **UNAUTHORIZED,
        **NOT_FOUND,
        **INVALID,
        409: {"description": "The id is taken, or blocked by the risk engine (risk_blocked)"},
    },
)
def send_message(
    order_id: str, body: MessageBody, ctx: Ctx = Depends(authed_ctx)
) -> dict[str, Any]:
    args = SendMessageArgs.from_request({"order_id": order_id}, body)
    return ctx.perform(Intent.SEND_MESSAGE, args)


@router.get(
    "/orders/{order_id}/messages",
    response_model=list[MessageOut],
    responses={**PAGED, **UNAUTHORIZED, **NOT_FOUND},
)
def list_messages(
    order_id: str,
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The client: every thread of the order. A freelancer: their own thread. Oldest first,
    a page at a time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        return send_page(response, messages.list_messages(conn, ctx.user, order_id, page))
