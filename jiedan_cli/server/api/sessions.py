"""The caller's sessions: list them, end one or all the others, change the password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.api.pages import PAGED, page_params, send_page
from jiedan_cli.server.services import reauth, sessions, totp
from jiedan_cli.server.services.pages import PageRequest
from jiedan_cli.server.services.passwords import MAX_LENGTH, MIN_LENGTH, hash_password

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1/auth", tags=["auth"])

UNAUTHORIZED: Responses = {
    401: {"description": "Not signed in, a wrong password or a bad one-time code"}
}
NOT_FOUND: Responses = {404: {"description": "Not one of the caller's live sessions"}}
INVALID: Responses = {422: {"description": "Invalid request body"}}
THROTTLED: Responses = {429: {"description": "Too many wrong passwords or codes; see Retry-After"}}


class SessionOut(BaseModel):
    id: str
    device: str = Field(description="the name the client gave itself at sign-in")
    address: str = Field(description="the address it signed in from")
    created_at: str
    last_seen_at: str = Field(description="moves at most once every few minutes")
    expires_at: str
    current: bool = Field(description="the session this request came with")


class RevokedOut(BaseModel):
    sessions_revoked: int


class PasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)
    otp: str | None = Field(default=None, max_length=12, description="needed when 2FA is on")


@router.get(
    "/sessions",
    response_model=list[SessionOut],
    responses={**PAGED, **UNAUTHORIZED, 422: {"description": "Invalid request"}},
)
def list_sessions(
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The caller's live sessions, newest first, a page at a time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        found = sessions.list_sessions(conn, ctx.user, now=ctx.now(), page=page)
    return send_page(response, found)


@router.delete("/sessions/{session_id}", status_code=204, responses={**UNAUTHORIZED, **NOT_FOUND})
def revoke_session(session_id: str, ctx: Ctx = Depends(authed_ctx)) -> Response:
    with ctx.db.write() as conn:
        sessions.revoke_session(conn, ctx.user, session_id, now=ctx.now())
    return Response(status_code=204)


@router.post("/sessions/revoke-others", response_model=RevokedOut, responses=UNAUTHORIZED)
def revoke_other_sessions(ctx: Ctx = Depends(authed_ctx)) -> dict[str, int]:
    with ctx.db.write() as conn:
        return {"sessions_revoked": sessions.revoke_other_sessions(conn, ctx.user, now=ctx.now())}


@router.post(
    "/password",
    response_model=RevokedOut,
    responses={**UNAUTHORIZED, **INVALID, **THROTTLED},
)
def change_password(body: PasswordBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, int]:
    """Needs the current password (and a code when 2FA is on); ends every other session."""
    now = ctx.now()
    proof = reauth.prove_password(
        ctx.db, ctx.user, body.current_password, now=now, address=ctx.address
    )
    new_hash = hash_password(body.new_password)  # Argon2, outside any transaction
    with (
        totp.recording_otp_failures(ctx.db, ctx.user.id, now=now, address=ctx.address),
        ctx.db.write() as conn,
    ):
        return sessions.change_password(
            conn, ctx.user, proof, new_hash, otp=body.otp, now=now, address=ctx.address
        )
