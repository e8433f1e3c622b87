"""Campaigns (积分翻倍, 周末特惠, 节日专场): admins make, list and end them. Everyone else gets
them through the change log (sync pull), as the `campaign` entity."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from jiedan_cli.domain.campaigns import MAX_MULTIPLIER
from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.services import campaigns

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["staff"])

ERRORS: Responses = {
    401: {"description": "Not signed in"},
    403: {"description": "Admins only"},
    422: {"description": "Invalid request"},
}


class CampaignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, description="积分翻倍, 周末特惠 …")
    kind: Literal["points_multiplier", "fee_discount"]
    starts_at: AwareDatetime = Field(description="RFC 3339; inclusive; not before now")
    ends_at: AwareDatetime = Field(description="RFC 3339; exclusive")
    multiplier: StrictInt = Field(default=1, ge=1, le=MAX_MULTIPLIER)
    discount_bp: StrictInt = Field(
        default=0, ge=0, le=10_000, description="basis points off the commission rate"
    )
    category: str | None = Field(default=None, max_length=40, description="none: every order")


class CampaignOut(BaseModel):
    id: str
    name: str
    kind: str
    multiplier: int
    discount_bp: int
    category: str | None
    starts_at: str
    ends_at: str
    created_by: str
    created_at: str
    ended_by: str | None
    ended_at: str | None


@router.post("/staff/campaigns", status_code=201, response_model=CampaignOut, responses=ERRORS)
def create_campaign(body: CampaignBody, ctx: Ctx = Depends(authed_ctx)) -> Any:
    """A time-windowed campaign: a points multiplier, or a fee discount for one category or
    for every order."""
    with ctx.db.write() as conn:
        return campaigns.create_campaign(conn, ctx.user, **body.model_dump(), now=ctx.now())


@router.get("/staff/campaigns", response_model=list[CampaignOut], responses=ERRORS)
def list_campaigns(ctx: Ctx = Depends(authed_ctx)) -> Any:
    """Every campaign, the latest to end first."""
    with ctx.db.read() as conn:
        return campaigns.list_campaigns(conn, ctx.user)


@router.post(
    "/staff/campaigns/{campaign_id}/end",
    response_model=CampaignOut,
    responses={**ERRORS, 404: {"description": "No such campaign"}},
)
def end_campaign(campaign_id: str, ctx: Ctx = Depends(authed_ctx)) -> Any:
    """End the campaign now (one not started yet never runs)."""
    with ctx.db.write() as conn:
        return campaigns.end_campaign(conn, ctx.user, campaign_id, now=ctx.now())
