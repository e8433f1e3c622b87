"""The caller's fee plan (收费方案, #13): which one they have, the offers, and choosing one
(a paid plan bills its first period from the available earnings)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.services import fee_plans

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["money"])

UNAUTHORIZED: Responses = {401: {"description": "Not signed in"}}


class PlanOffer(BaseModel):
    plan: str
    label: str
    rate_bp: int = Field(description="the commission at the caller's tier")
    monthly_fee_fen: int
    package_fen: int = Field(description="a promotion package the plan forces each month")
    monthly_charge_fen: int = Field(description="billed each period: fee and package")


class PlanOut(PlanOffer):
    in_force: str = Field(description="the plan a release pays now (a lapsed one: commission)")
    tier: str
    chosen_at: str | None
    paid_until: str | None
    lapsed_from: str | None = Field(description="a paid plan the earnings could not renew")
    lapsed_at: str | None
    currency: str
    offers: list[PlanOffer]


class PlanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: str = Field(min_length=1, max_length=20, description="commission, membership …")


@router.get("/fees/plan", response_model=PlanOut, responses=UNAUTHORIZED)
def my_plan(ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """The caller's fee plan and the offers at their tier."""
    with ctx.db.read() as conn:
        return fee_plans.plan_view(conn, ctx.user, now=ctx.now())


@router.post(
    "/fees/plan",
    response_model=PlanOut,
    responses={
        **UNAUTHORIZED,
        409: {"description": "The available earnings cannot pay the first period"},
        422: {"description": "No such plan"},
    },
)
def choose_plan(body: PlanBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """Choose a fee plan: a paid one bills its first period now, from the available
    earnings, to platform:fees; choosing the plan one has (paid for) bills nothing again."""
    with ctx.db.write() as conn:
        return fee_plans.choose_plan(conn, ctx.user, body.plan, now=ctx.now())
