"""Profiles and portfolios: anyone reads a profile; the owner edits theirs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from jiedan_cli.server.api.deps import Ctx, authed_ctx, optional_ctx
from jiedan_cli.server.api.pages import PAGED, page_params, send_page
from jiedan_cli.server.services import profiles
from jiedan_cli.server.services.fields import UUID_PATTERN, Fen, Line, Number, Text
from jiedan_cli.server.services.pages import PageRequest

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["profiles"])

UNAUTHORIZED: Responses = {401: {"description": "Not signed in"}}
INVALID: Responses = {422: {"description": "Invalid request body"}}
NOT_FOUND: Responses = {404: {"description": "No such profile or item (or not yours)"}}

Skill = Annotated[Line, Field(min_length=1, max_length=profiles.MAX_SKILL_LENGTH)]


class ProfilePatch(BaseModel):
    """Only these fields; ratings, counts and roles are not the owner's to set."""

    model_config = ConfigDict(extra="forbid")

    skills: list[Skill] | None = Field(default=None, max_length=profiles.MAX_SKILLS)
    bio: Text | None = Field(default=None, max_length=profiles.MAX_BIO)
    city: Line | None = Field(default=None, max_length=profiles.MAX_CITY)
    lat: Number | None = Field(default=None, ge=-90, le=90)
    lon: Number | None = Field(default=None, ge=-180, le=180)
    hourly_rate_fen: Fen | None = None


class PortfolioBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=UUID_PATTERN, description="made offline")
    title: Line = Field(min_length=1, max_length=profiles.MAX_TITLE)
    url: Line | None = Field(default=None, max_length=profiles.MAX_URL)
    description: Text = Field(default="", max_length=profiles.MAX_DESCRIPTION)
    public: bool = True


class PortfolioItemOut(BaseModel):
    id: str
    title: str
    url: str | None
    description: str
    public: bool
    created_at: str


class PortfolioOut(BaseModel):
    items: list[PortfolioItemOut]


class RatingOut(BaseModel):
    count: int
    average: float | None


class ProfileOut(BaseModel):
    user_id: str
    name: str
    skills: list[str]
    bio: str
    city: str | None
    hourly_rate_fen: int | None
    currency: str
    rating: RatingOut
    completed_count: int
    verified: bool = Field(description="real-name verification (实名认证) approved")
    joined_at: str = Field(description="when the account was made")
    dispute_count: int = Field(description="disputes opened on orders this person was awarded")
    tier: str = Field(description="membership tier from the trailing year: regular … diamond")
    tier_label: str = Field(description="the tier's Chinese name: 普通 / 银牌 / 金牌 / 钻石")
    badges: list[str] = Field(
        description="e.g. 金牌译员: 金牌 or better, a year on the platform, well rated there"
    )
    portfolio: list[PortfolioItemOut]
    updated_at: str
    lat: float | None = Field(default=None, description="shown to the owner only")
    lon: float | None = Field(default=None, description="shown to the owner only")


@router.get(
    "/profiles/{user_id}",
    response_model=ProfileOut,
    response_model_exclude_unset=True,
    responses=NOT_FOUND,
)
def get_profile(user_id: str, ctx: Ctx = Depends(optional_ctx)) -> dict[str, Any]:
    viewer = ctx.actor.id if ctx.actor else None
    with ctx.db.read() as conn:
        return profiles.profile_view(conn, user_id, viewer_id=viewer, now=ctx.now())


@router.patch("/me/profile", response_model=ProfileOut, responses={**UNAUTHORIZED, **INVALID})
def update_profile(body: ProfilePatch, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    with ctx.db.write() as conn:
        return profiles.update_profile(
            conn, ctx.user, body.model_dump(exclude_unset=True), now=ctx.now()
        )


@router.get(
    "/me/portfolio",
    response_model=PortfolioOut,
    responses={**PAGED, **UNAUTHORIZED, 422: {"description": "Invalid request"}},
)
def list_portfolio(
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    page: PageRequest = Depends(page_params()),
) -> dict[str, Any]:
    """The caller's portfolio, oldest first, a page at a time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        return {"items": send_page(response, profiles.list_portfolio(conn, ctx.user, page))}


@router.post(
    "/me/portfolio",
    status_code=201,
    response_model=PortfolioItemOut,
    responses={**UNAUTHORIZED, **INVALID, 409: {"description": "The id is taken"}},
)
def add_portfolio_item(body: PortfolioBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    with ctx.db.write() as conn:
        return profiles.add_portfolio_item(
            conn,
            ctx.user,
            title=body.title,
            url=body.url,
            description=body.description,
            public=body.public,
            now=ctx.now(),
            item_id=body.id,
        )


@router.delete("/me/portfolio/{item_id}", status_code=204, responses={**UNAUTHORIZED, **NOT_FOUND})
def remove_portfolio_item(item_id: str, ctx: Ctx = Depends(authed_ctx)) -> Response:
    with ctx.db.write() as conn:
        profiles.remove_portfolio_item(conn, ctx.user, item_id, now=ctx.now())
    return Response(status_code=204)
