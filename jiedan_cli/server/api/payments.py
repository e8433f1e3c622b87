"""Webhooks from payment providers. The sandbox's notification is verified (HMAC-SHA256 of
the raw body, timestamp within ±300 s, amount = the intent's) and deduplicated by event id
before escrow is credited; a replay answers 200 and changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from jiedan_cli.server.api.problems import problem
from jiedan_cli.server.api.rate_limits import WriteLimiter, address
from jiedan_cli.server.payments.sandbox import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadNotification,
    BadSignature,
)
from jiedan_cli.server.services import funding

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["payments"])


class NotifyOut(BaseModel):
    event_id: str
    intent_id: str
    outcome: str = Field(description="funded | duplicate | refunded (the order had moved on)")


@router.post(
    "/payments/sandbox/notify",
    response_model=NotifyOut,
    responses={
        400: {"description": "Stale or missing timestamp, or not a notification"},
        401: {"description": "Bad signature"},
        404: {"description": "No such payment intent"},
        409: {"description": "The amount does not match the intent"},
    },
)
async def sandbox_notify(request: Request) -> Any:
    """The sandbox provider's signed notification (headers X-Sandbox-Signature, hex
    HMAC-SHA256 of the raw body, and X-Sandbox-Timestamp, Unix seconds)."""
    body = await request.body()
    state = request.app.state
    try:
        return await run_in_threadpool(
            funding.receive_sandbox_notification,
            state.db,
            state.settings,
            body=body,
            signature=request.headers.get(SIGNATURE_HEADER),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            now=state.clock(),
        )
    except BadSignature as exc:
        await _audit_refusal(request, exc)
        return _refused(401, "Bad signature", str(exc), "bad_signature")
    except BadNotification as exc:
        await _audit_refusal(request, exc)
        return _refused(400, "Bad notification", str(exc), "bad_notification")


async def _audit_refusal(request: Request, exc: Exception) -> None:
    """A refused notification is an audit line — the first few from an address in a while
    (JIEDAN_SERVER_RATE_LIMIT_REFUSAL_AUDITS), the rest only counted in the access log."""
    state = request.app.state
    limiter: WriteLimiter = state.write_limiter
    who = f"refusal-audit:{address(request.scope)}"
    if await limiter.charge(limiter.refusal_audits, who) is not None:
        return
    await run_in_threadpool(
        funding.record_refused_notification,
        state.db,
        reason=str(exc),
        address=address(request.scope),
        now=state.clock(),
    )


def _refused(status: int, title: str, detail: str, code: str) -> JSONResponse:
    response = problem(status, title, detail, code)
    if "WWW-Authenticate" in response.headers:  # not a bearer-token route
        del response.headers["WWW-Authenticate"]
    return response
