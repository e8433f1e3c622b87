"""Reviews: each party of a completed order reviews the other once; blind until both did
or the blind period passed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from jiedan_cli.domain.intents import Intent
from jiedan_cli.server.api.deps import Ctx, authed_ctx, optional_ctx
from jiedan_cli.server.api.pages import PAGED, page_params, send_page
from jiedan_cli.server.services import reviews
from jiedan_cli.server.services.arguments import ReviewBody, WriteReviewArgs
from jiedan_cli.server.services.pages import PageRequest

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["reviews"])

UNAUTHORIZED: Responses = {401: {"description": "Not signed in"}}
INVALID: Responses = {422: {"description": "Invalid request"}}
NOT_FOUND: Responses = {404: {"description": "No such order or user (or not a party to it)"}}
REFUSED: Responses = {409: {"description": "Order not completed, or reviewed already"}}


class ReviewOut(BaseModel):
    id: str
    order_id: str
    author_id: str
    subject_id: str
    stars: int
    text: str
    created_at: str


class ReviewList(BaseModel):
    items: list[ReviewOut]


@router.post(
    "/orders/{order_id}/reviews",
    status_code=201,
    response_model=ReviewOut,
    responses={**UNAUTHORIZED, **NOT_FOUND, **REFUSED, **INVALID},
)
def write_review(order_id: str, body: ReviewBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    args = WriteReviewArgs.from_request({"order_id": order_id}, body)
    return ctx.perform(Intent.WRITE_REVIEW, args)


@router.get(
    "/users/{user_id}/reviews",
    response_model=ReviewList,
    responses={**PAGED, **NOT_FOUND, **INVALID},
)
def reviews_of_user(
    user_id: str,
    response: Response,
    ctx: Ctx = Depends(optional_ctx),
    page: PageRequest = Depends(page_params(reviews.USER_REVIEWS_MAX, default=50)),
) -> dict[str, Any]:
    """Reviews about the user, newest first — only those out of their blind period — a page
    at a time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        found = reviews.reviews_of_user(
            conn, user_id, now=ctx.now(), blind_days=ctx.settings.review_blind_days, page=page
        )
    return {"items": send_page(response, found)}
