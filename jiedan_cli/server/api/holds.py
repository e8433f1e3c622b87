"""Held actions: the 202 a gated route answers when the risk engine holds it (`HELD`), and the
staff review queue (reviewer, admin): list what waits, release or block one, each once
(services/holds.py)."""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from jiedan_cli.domain.errors import TemporaryFailure
from jiedan_cli.domain.intents import Intent
from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.services import holds
from jiedan_cli.server.services.fields import Text

Responses = dict[int | str, dict[str, Any]]
log = logging.getLogger("jiedan.holds")

router = APIRouter(prefix="/v1", tags=["staff"])


class HoldOut(BaseModel):
    """An action held for manual review (人工审核): it waits for a reviewer."""

    id: str
    status: Literal["held"]
    action: str
    reason: str = Field(description="why, in plain words: the risk rules that fired")


HELD: Responses = {
    202: {
        "model": HoldOut,
        "description": "Held for review by the risk engine: nothing is done until a reviewer"
        " releases it (then it is applied as asked) or blocks it",
    },
}


class HoldUser(BaseModel):
    id: str
    name: str
    email: str


class StaffHoldOut(BaseModel):
    id: str
    status: Literal["held", "released", "blocked", "failed"]
    action: str
    reason: str
    intent: str | None
    object_id: str | None
    op_id: str | None
    created_at: str
    decided_at: str | None
    decision_reason: str | None
    user: HoldUser | None
    score: int
    fired: list[dict[str, Any]]
    facts: dict[str, Any]
    args: dict[str, Any] | None
    counterpart_id: str | None
    client_id: str | None
    decided_by: str | None
    outcome: dict[str, Any] | None


class BlockBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=holds.REASON_MAX)


ERRORS: Responses = {
    401: {"description": "Not signed in"},
    403: {"description": "Not a reviewer or admin, or party to the held item"},
    422: {"description": "Invalid request"},
}
DECIDE: Responses = {
    **ERRORS,
    404: {"description": "No such hold"},
    409: {"description": "The hold is decided already (hold_decided)"},
}


@router.get("/staff/holds", response_model=list[StaffHoldOut], responses=ERRORS)
def held_queue(
    ctx: Ctx = Depends(authed_ctx), limit: int = Query(default=50, ge=1, le=holds.QUEUE_MAX)
) -> Any:
    """Held actions waiting for a reviewer, oldest first, with the rules that fired, the
    facts they fired on, and the user."""
    with ctx.db.read() as conn:
        return holds.held_queue(conn, ctx.user, limit=limit)


@router.post("/staff/holds/{hold_id}/release", response_model=StaffHoldOut, responses=DECIDE)
def release_hold(hold_id: str, ctx: Ctx = Depends(authed_ctx)) -> Any:
    """Apply the held action as its user asked (once): `released`, or `failed` with the
    reason when it can no longer be done (the order was awarded meanwhile)."""
    with ctx.db.write() as conn:
        decided = holds.release(conn, ctx.user, hold_id, now=ctx.now(), settings=ctx.settings)
    if decided["status"] == holds.RELEASED and decided["intent"] == Intent.FUND_ORDER:
        _deliver_payment_notification(ctx, (decided["args"] or {}).get("order_id"))
    return decided


@router.post("/staff/holds/{hold_id}/block", response_model=StaffHoldOut, responses=DECIDE)
def block_hold(hold_id: str, body: BlockBody, ctx: Ctx = Depends(authed_ctx)) -> Any:
    """Refuse the held action for good, with a reason its user sees."""
    with ctx.db.write() as conn:
        return holds.block(conn, ctx.user, hold_id, body.reason, now=ctx.now())


def _deliver_payment_notification(ctx: Ctx, order_id: object) -> None:
    """A released funding completes as the fund route's does: the sandbox's notification,
    delivered once the release committed (the scheduled job sweeps what is left)."""
    from jiedan_cli.server.services.funding import deliver_pending_notifications

    if not isinstance(order_id, str):
        return
    try:
        deliver_pending_notifications(ctx.db, ctx.settings, ctx.now(), order_ids=[order_id])
    except TemporaryFailure:
        log.warning("sandbox notification deferred: the database is busy")
