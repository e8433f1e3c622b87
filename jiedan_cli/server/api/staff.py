"""Staff: dispute resolution (support, admin) and the audit log (admin). A refused call is
audited like every 403 (problems.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.api.orders import OrderOut
from jiedan_cli.server.services import escrow, staff_audit

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["staff"])

ERRORS: Responses = {
    401: {"description": "Not signed in"},
    403: {"description": "The caller's role may not do this"},
    422: {"description": "Invalid request"},
}


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_freelancer_pct: StrictInt = Field(ge=0, le=100)


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor_id: str | None
    action: str
    target: str | None
    address: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


@router.post(
    "/staff/disputes/{order_id}/resolve",
    response_model=OrderOut,
    responses={
        **ERRORS,
        404: {"description": "No such order"},
        409: {"description": "The order is not disputed"},
    },
)
def resolve_dispute(order_id: str, body: ResolveBody, ctx: Ctx = Depends(authed_ctx)) -> Any:
    """Split the disputed escrow: `to_freelancer_pct`% to the freelancer (less the usual fee
    on that share), the rest refunded to the client."""
    with ctx.db.write() as conn:
        return escrow.resolve_dispute(
            conn,
            ctx.user,
            order_id=order_id,
            to_freelancer_pct=body.to_freelancer_pct,
            now=ctx.now(),
            protection_pct=ctx.settings.protection_share_pct,
        )


@router.get("/staff/audit", response_model=AuditPage, responses=ERRORS)
def read_audit(
    ctx: Ctx = Depends(authed_ctx),
    action: str | None = Query(default=None, max_length=60, description="'money.*' = prefix"),
    actor_id: str | None = Query(default=None, max_length=36),
    target: str | None = Query(default=None, max_length=200),
    user_id: str | None = Query(
        default=None, max_length=36, description="entries by, about, or naming this user"
    ),
    since: datetime | None = Query(default=None, description="RFC 3339"),
    limit: int = Query(default=50, ge=1, le=staff_audit.PAGE_MAX),
    cursor: str | None = Query(default=None, max_length=20),
) -> Any:
    """The audit log, newest first (admins only)."""
    with ctx.db.read() as conn:
        return staff_audit.read_audit(
            conn,
            ctx.user,
            action=action,
            actor_id=actor_id,
            target=target,
            user_id=user_id,
            since=since,
            limit=limit,
            cursor=cursor,
        )
