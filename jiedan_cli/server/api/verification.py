"""Real-name verification (实名认证): a freelancer submits and reads their own; reviewers and
admins list what waits and approve or reject it (services/verification.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from jiedan_cli.domain.identity import CERTIFICATES_MAX, REAL_NAME_MAX
from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.api.pages import PAGED, page_params, send_page
from jiedan_cli.server.services import verification
from jiedan_cli.server.services.arguments import DeliveredFile
from jiedan_cli.server.services.fields import Line
from jiedan_cli.server.services.pages import PageRequest

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["verification"])

ERRORS: Responses = {
    401: {"description": "Not signed in"},
    403: {"description": "The caller's role may not do this"},
    422: {"description": "Invalid request"},
}


class SubmitBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    real_name: Line = Field(min_length=1, max_length=REAL_NAME_MAX)
    id_number: str = Field(min_length=18, max_length=18, description="GB 11643, 18 characters")
    certificates: list[DeliveredFile] = Field(default_factory=list, max_length=CERTIFICATES_MAX)


class VerificationOut(BaseModel):
    id: str
    user_id: str
    real_name: str
    id_number_masked: str = Field(description="the last four characters only")
    certificates: list[dict[str, Any]]
    status: str = Field(description="pending, approved or rejected")
    created_at: str
    reviewed_at: str | None


class MyVerificationOut(BaseModel):
    """{"status": "none"} before any submission, else the latest one."""

    model_config = ConfigDict(extra="allow")

    status: str


@router.post(
    "/me/verification",
    status_code=201,
    response_model=VerificationOut,
    responses={**ERRORS, 409: {"description": "One is pending or approved already"}},
)
def submit(body: SubmitBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """Submit a real name, an ID number (stored sealed, shown masked) and certificates."""
    with ctx.db.write() as conn:
        return verification.submit(
            conn,
            ctx.user,
            real_name=body.real_name,
            id_number=body.id_number,
            certificates=[file.model_dump() for file in body.certificates],
            now=ctx.now(),
        )


@router.get("/me/verification", response_model=MyVerificationOut, responses=ERRORS)
def mine(ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    with ctx.db.read() as conn:
        return verification.my_verification(conn, ctx.user)


@router.get(
    "/staff/verifications",
    response_model=list[VerificationOut],
    responses={**PAGED, **ERRORS},
)
def waiting(
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The verifications waiting for review, oldest first (reviewers, admins), a page at a
    time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        return send_page(response, verification.pending(conn, ctx.user, page))


def _review(user_id: str, ctx: Ctx, *, approve: bool) -> dict[str, Any]:
    with ctx.db.write() as conn:
        return verification.review(conn, ctx.user, user_id, approve=approve, now=ctx.now())


REVIEWED: Responses = {**ERRORS, 404: {"description": "Nothing of that user waits for review"}}


@router.post(
    "/staff/verifications/{user_id}/approve", response_model=VerificationOut, responses=REVIEWED
)
def approve(user_id: str, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    return _review(user_id, ctx, approve=True)


@router.post(
    "/staff/verifications/{user_id}/reject", response_model=VerificationOut, responses=REVIEWED
)
def reject(user_id: str, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    return _review(user_id, ctx, approve=False)
