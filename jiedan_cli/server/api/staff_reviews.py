"""Review integrity (#12): reviewers and admins list the reviews held because their author and
subject share an install, and clear one (services/review_integrity.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.api.pages import PAGED, page_params, send_page
from jiedan_cli.server.api.reviews import ReviewOut
from jiedan_cli.server.services import review_integrity
from jiedan_cli.server.services.pages import PageRequest

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["staff"])

ERRORS: Responses = {
    401: {"description": "Not signed in"},
    403: {"description": "The caller's role may not do this, or is party to the review"},
    422: {"description": "Invalid request"},
}


class HeldReviewOut(ReviewOut):
    revealed: bool = Field(description="out of its blind period (counted once cleared)")
    reason: str
    shared_installs: int = Field(description="install ids both accounts used in the window")


@router.get("/staff/reviews", response_model=list[HeldReviewOut], responses={**PAGED, **ERRORS})
def held(
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The reviews held for integrity review, oldest first (reviewers, admins), a page at a
    time (`X-Next-Cursor`); those the caller is party to are left out."""
    with ctx.db.read() as conn:
        found = review_integrity.held_reviews(conn, ctx.user, now=ctx.now(), page=page)
    return send_page(response, found)


@router.post(
    "/staff/reviews/{review_id}/clear",
    response_model=ReviewOut,
    responses={
        **ERRORS,
        404: {"description": "No such review"},
        409: {"description": "The review is not held"},
    },
)
def clear(review_id: str, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """Clear a held review: it counts in its subject's rating (once revealed)."""
    with ctx.db.write() as conn:
        return review_integrity.clear_review(conn, ctx.user, review_id, now=ctx.now())
