"""Accounts and sessions: register, sign in and out, who am I, two-factor authentication."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from jiedan_cli.server.api.deps import Ctx, authed_ctx, optional_ctx
from jiedan_cli.server.api.idempotency import carries_secrets
from jiedan_cli.server.services import accounts, reauth, totp
from jiedan_cli.server.services.account_review import registration_review
from jiedan_cli.server.services.fields import Line
from jiedan_cli.server.services.passwords import MAX_LENGTH, MIN_LENGTH
from jiedan_cli.server.services.referrals import ReferralTerms

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["auth"])

UNAUTHORIZED: Responses = {
    401: {"description": "Not signed in, bad credentials or a bad one-time code"}
}
INVALID: Responses = {422: {"description": "Invalid request body"}}
THROTTLED: Responses = {429: {"description": "Too many failed attempts; see Retry-After"}}
CONFLICT: Responses = {409: {"description": "Not possible in the account's current state"}}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The name a client gives itself at sign-in ("laptop · jiedan cli"), shown in its sessions.
Device = Field(default="", max_length=100, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")


class RegisterBody(Body):
    email: str = Field(min_length=3, max_length=320)
    name: Line = Field(min_length=1, max_length=200)
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)
    role: Literal["freelancer", "client", "both"] = "both"
    device: str = Device
    referral: str | None = Field(
        default=None, max_length=20, description="the inviter's referral code (推荐码)"
    )


class LoginBody(Body):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)
    otp: str | None = Field(default=None, max_length=12)
    device: str = Device


class OtpBody(Body):
    otp: str = Field(min_length=1, max_length=12)


class ReviewOut(BaseModel):
    """The account's registration, held by the risk engine for a reviewer (人工审核)."""

    status: Literal["under review"]
    hold_id: str
    reason: str = Field(description="why, in plain words: the risk rules that fired")
    since: str


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    roles: list[str]
    totp_enabled: bool
    verification: str
    created_at: str
    review: ReviewOut | None = Field(
        default=None,
        description="GET /v1/me: the open review of a registration the risk engine held (the"
        " account works meanwhile); null when there is none",
    )


class SessionOut(BaseModel):
    user: UserOut
    token: str = Field(description="send as `Authorization: Bearer <token>`")


class TotpSecretOut(BaseModel):
    secret: str = Field(description="base32; enter it in an authenticator app")
    otpauth_uri: str


@router.post(
    "/auth/register",
    status_code=201,
    response_model=SessionOut,
    responses={
        **INVALID,
        **THROTTLED,
        409: {
            "description": "An account for that e-mail exists, an unknown referral code,"
            " or blocked (risk_blocked)"
        },
    },
    dependencies=[Depends(carries_secrets)],
)
def register(body: RegisterBody, ctx: Ctx = Depends(optional_ctx)) -> dict[str, Any]:
    return accounts.register(
        ctx.db,
        email=body.email,
        name=body.name,
        password=body.password,
        role=body.role,
        now=ctx.now(),
        address=ctx.address,
        session_ttl_days=ctx.settings.session_ttl_days,
        device=body.device,
        per_address_hour=ctx.settings.registrations_per_address_hour,
        install=ctx.install,
        origin=ctx.origin,
        referral=(
            ReferralTerms(body.referral, ctx.settings.referral_points)
            if body.referral is not None
            else None
        ),
    )


@router.post(
    "/auth/login",
    response_model=SessionOut,
    responses={**UNAUTHORIZED, **INVALID, **THROTTLED},
    dependencies=[Depends(carries_secrets)],
)
def login(body: LoginBody, ctx: Ctx = Depends(optional_ctx)) -> dict[str, Any]:
    return accounts.sign_in(
        ctx.db,
        email=body.email,
        password=body.password,
        otp=body.otp,
        now=ctx.now(),
        address=ctx.address,
        session_ttl_days=ctx.settings.session_ttl_days,
        device=body.device,
        install=ctx.install,
    )


@router.post("/auth/logout", status_code=204, responses=UNAUTHORIZED)
def logout(ctx: Ctx = Depends(authed_ctx)) -> Response:
    with ctx.db.write() as conn:
        accounts.logout(conn, ctx.user, now=ctx.now())
    return Response(status_code=204)


@router.get("/me", response_model=UserOut, responses=UNAUTHORIZED)
def me(ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    with ctx.db.read() as conn:
        me = accounts.user_view(accounts.user_row(conn, ctx.user.id))
        return {**me, "review": registration_review(conn, ctx.user.id)}


class PasswordBody(Body):
    password: str = Field(min_length=1, max_length=MAX_LENGTH, description="the current one")


class CloseBody(PasswordBody):
    otp: str | None = Field(
        default=None, min_length=6, max_length=10, description="needed when 2FA is on"
    )


@router.post(
    "/me/delete",
    responses={**UNAUTHORIZED, **CONFLICT, **INVALID, **THROTTLED},
)
def delete_account(body: CloseBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """Close the account: personal data anonymised, money records kept (refused while an
    order is under way or a balance is left to withdraw). Needs the password, and a code
    when 2FA is on."""
    from jiedan_cli.server.services.account_delete import delete_account

    now = ctx.now()
    proof = reauth.prove_password(ctx.db, ctx.user, body.password, now=now, address=ctx.address)
    with (
        totp.recording_otp_failures(ctx.db, ctx.user.id, now=now, address=ctx.address),
        ctx.db.write() as conn,
    ):
        return delete_account(conn, ctx.user, proof, otp=body.otp, now=now, address=ctx.address)


@router.get("/me/export", responses=UNAUTHORIZED)
def export_account(ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """Everything the server holds about the caller, as one JSON document (no secrets)."""
    from jiedan_cli.server.services.account_export import export_account

    with ctx.db.read() as conn:
        return export_account(conn, ctx.user, now=ctx.now())


class ReferralOut(BaseModel):
    status: str = Field(description="pending, rewarded, or withheld (see reason)")
    reason: str | None
    reward_points: int
    order_id: str | None = Field(description="the first completed order that settled it")
    created_at: str
    settled_at: str | None


class InvitedOut(ReferralOut):
    referee_id: str


class MyReferralOut(BaseModel):
    code: str = Field(description="give it to a friend: `jiedan auth register --referral CODE`")
    reward_points: int = Field(description="what a referral earns each of the two now")
    invited: list[InvitedOut]
    referred_by: ReferralOut | None


@router.get("/me/referral", response_model=MyReferralOut, responses=UNAUTHORIZED)
def my_referral(ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """The caller's referral code (made on first ask), who they invited and how each
    referral settled, and the referral they registered with."""
    from jiedan_cli.server.services.referrals import my_referral

    with ctx.db.write() as conn:
        return my_referral(
            conn, ctx.user, now=ctx.now(), reward_points=ctx.settings.referral_points
        )


class FirstOrderCouponOut(BaseModel):
    status: str = Field(description="available, applied, withheld, not_eligible or off")
    amount_fen: int = Field(description="available: the most it is worth; applied: its worth")
    max_share_pct: int = Field(description="a coupon pays at most this share of the payment")
    currency: str
    reason: str | None
    order_id: str | None = Field(description="the order whose first payment it went to")
    milestone_id: str | None
    created_at: str | None


@router.get("/me/first-order-coupon", response_model=FirstOrderCouponOut, responses=UNAUTHORIZED)
def my_first_order_coupon(ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """The caller's first-order coupon (新客首单券): waiting for their first payment, applied
    to it, withheld, or none to have."""
    from jiedan_cli.server.services.first_order_coupons import coupon_standing

    with ctx.db.read() as conn:
        return coupon_standing(conn, ctx.user.id, cap_fen=ctx.settings.first_order_coupon_fen)


@router.post(
    "/auth/2fa/enable",
    response_model=TotpSecretOut,
    responses={**UNAUTHORIZED, **CONFLICT, **INVALID, **THROTTLED},
    dependencies=[Depends(carries_secrets)],
)
def enable_2fa(body: PasswordBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, str]:
    """A new secret, pending until confirmed; needs the password (not a token alone)."""
    now = ctx.now()
    proof = reauth.prove_password(ctx.db, ctx.user, body.password, now=now, address=ctx.address)
    with ctx.db.write() as conn:
        return totp.enable_2fa(conn, ctx.user, proof, now=now)


@router.post(
    "/auth/2fa/confirm",
    response_model=UserOut,
    responses={**UNAUTHORIZED, **CONFLICT, **INVALID, **THROTTLED},
)
def confirm_2fa(body: OtpBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    now = ctx.now()
    with (
        totp.recording_otp_failures(ctx.db, ctx.user.id, now=now, address=ctx.address),
        ctx.db.write() as conn,
    ):
        return totp.confirm_2fa(conn, ctx.user, body.otp, now=now)


@router.post(
    "/auth/2fa/disable",
    response_model=UserOut,
    responses={**UNAUTHORIZED, **CONFLICT, **INVALID, **THROTTLED},
)
def disable_2fa(body: OtpBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    now = ctx.now()
    with (
        totp.recording_otp_failures(ctx.db, ctx.user.id, now=now, address=ctx.address),
        ctx.db.write() as conn,
    ):
        return totp.disable_2fa(conn, ctx.user, body.otp, now=now)
