"""The caller's own money: earnings summary, ledger lines, withdrawals, points and tier."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from jiedan_cli.domain.account_limits import NewAccountLimit
from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.money import MAX_AMOUNT_FEN
from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.api.holds import HELD
from jiedan_cli.server.api.pages import PAGED, page_params, send_page
from jiedan_cli.server.services import earnings, holds, points, points_expiry, totp
from jiedan_cli.server.services.arguments import (
    CheckInArgs,
    CheckinBody,
    RedeemArgs,
    RedeemBody,
)
from jiedan_cli.server.services.fields import UUID_PATTERN
from jiedan_cli.server.services.pages import PageRequest

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["money"])

UNAUTHORIZED: Responses = {401: {"description": "Not signed in, or a bad one-time code"}}


class WithdrawBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=UUID_PATTERN, description="made offline")
    amount_fen: StrictInt = Field(ge=1, le=MAX_AMOUNT_FEN)
    otp: str | None = Field(
        default=None, min_length=6, max_length=10, description="needed when 2FA is on"
    )


class SummaryOut(BaseModel):
    available_fen: int = Field(description="withdrawable now")
    pending_fen: int = Field(description="held in escrow for the caller's orders")
    lifetime_fen: int = Field(description="paid to the caller, after fees")
    fees_fen: int = Field(description="platform fees taken on the caller's orders")
    currency: str


class EntryOut(BaseModel):
    id: str
    transfer_id: str
    order_id: str | None
    kind: str
    amount_fen: int = Field(description="signed: credits positive, debits negative")
    fee_fen: int = Field(default=0, description="on a payout: the platform fee withheld from it")
    currency: str
    account: str
    created_at: str


class PayoutOut(BaseModel):
    id: str
    amount_fen: int
    currency: str
    provider: str
    provider_ref: str | None
    status: str
    created_at: str
    available_fen: int = Field(description="what is left to withdraw")


class TierProgress(BaseModel):
    volume_fen: int
    completed_orders: int
    next_min_volume_fen: int | None = None
    next_min_orders: int | None = None


class ExpiringOut(BaseModel):
    points: int = Field(description="points that expire on that day (the oldest spent first)")
    on: str = Field(description="the day, China's calendar (YYYY-MM-DD)")
    at: str


class PointsOut(BaseModel):
    balance: int
    tier: str
    tier_label: str
    next_tier: str | None
    progress: TierProgress
    progress_words: str = Field(
        description='what is missing to the next tier: "¥2,300 and 2 more orders to 银牌"'
    )
    expiring: ExpiringOut | None = Field(
        default=None, description="the next points to expire (JIEDAN_SERVER_POINTS_EXPIRY_MONTHS)"
    )


class PointsEntryOut(BaseModel):
    id: str
    amount: int
    kind: str
    order_id: str | None
    created_at: str


class CheckinOut(PointsEntryOut):
    day: str
    streak: int = Field(description="days in a row, this one included (the bonus is capped)")


@router.get("/earnings/summary", response_model=SummaryOut, responses=UNAUTHORIZED)
def earnings_summary(ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    with ctx.db.read() as conn:
        return earnings.earnings_summary(conn, ctx.user)


@router.get(
    "/earnings/ledger",
    response_model=list[EntryOut],
    responses={**PAGED, **UNAUTHORIZED, 422: {"description": "Invalid request"}},
)
def earnings_ledger(
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    since: date | None = Query(default=None, description="YYYY-MM-DD (UTC)"),
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The caller's ledger lines, oldest first, a page at a time (`X-Next-Cursor`): `limit`
    counts transfers, and one between two of the caller's accounts is both its lines."""
    with ctx.db.read() as conn:
        found = earnings.ledger_entries(conn, ctx.user, since=since, page=page)
    return send_page(response, found)


@router.post(
    "/earnings/withdraw",
    status_code=201,
    response_model=PayoutOut,
    responses={
        **HELD,
        **UNAUTHORIZED,
        409: {
            "description": "More than the available balance (insufficient_funds), or blocked"
            " by the risk engine (risk_blocked); more than a new or unverified account may"
            " withdraw in 24 hours is held for review (202)"
        },
        422: {"description": "Invalid request"},
        429: {"description": "Too many bad one-time codes"},
    },
)
def withdraw(body: WithdrawBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """Pay out of the available balance through the provider (a TOTP code when 2FA is on)."""
    now = ctx.now()
    limit = NewAccountLimit(
        ctx.settings.new_account_days, ctx.settings.new_account_max_withdrawal_fen
    )
    with totp.recording_otp_failures(ctx.db, ctx.user.id, now=now, address=ctx.address):
        return ctx.write_gated(
            lambda conn: earnings.withdraw(
                conn,
                ctx.user,
                amount_fen=body.amount_fen,
                otp=body.otp,
                now=now,
                payout_id=body.id,
                address=ctx.address,
                new_account_limit=limit,
                origin=ctx.origin,
            ),
            # what a release applies (the code is not kept: it was checked here)
            intent=holds.WITHDRAW,
            args={"amount_fen": body.amount_fen, "id": body.id},
            always_holds=True,
        )


@router.get("/points", response_model=PointsOut, responses=UNAUTHORIZED)
def points_balance(ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    now, months = ctx.now(), ctx.settings.points_expiry_months
    with ctx.db.read() as conn:
        soon = points_expiry.expiring(conn, ctx.user.id, months=months, now=now)
        return {**points.points_balance(conn, ctx.user, now=now), "expiring": soon}


@router.get(
    "/points/history",
    response_model=list[PointsEntryOut],
    responses={**PAGED, **UNAUTHORIZED, 422: {"description": "Invalid request"}},
)
def points_history(
    response: Response,
    ctx: Ctx = Depends(authed_ctx),
    page: PageRequest = Depends(page_params()),
) -> list[dict[str, Any]]:
    """The caller's points entries, newest first, a page at a time (`X-Next-Cursor`)."""
    with ctx.db.read() as conn:
        return send_page(response, points.points_history(conn, ctx.user, page))


@router.post(
    "/points/checkin",
    response_model=CheckinOut,
    responses={
        **UNAUTHORIZED,
        409: {"description": "Too late for that day"},
        422: {"description": "Invalid request"},
    },
)
def check_in(body: CheckinBody | None = None, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """The daily check-in (签到): points for the streak, once a day (a repeat answers the
    first). Offline clients send it through /v1/sync/push as the `check_in` intent."""
    return ctx.perform(Intent.CHECK_IN, CheckInArgs.from_request({}, body))


class RedemptionOut(BaseModel):
    id: str = Field(description="the redemption's id: send it again and nothing moves twice")
    kind: str = Field(description="coupon or cash")
    points: int
    value_fen: int = Field(description="the coupon's value, or the cash paid to earnings")
    currency: str
    created_at: str


@router.post(
    "/points/redeem",
    response_model=RedemptionOut,
    responses={
        **UNAUTHORIZED,
        409: {"description": "Not enough points, or the id was used for another redemption"},
        422: {"description": "Invalid request"},
    },
)
def redeem(body: RedeemBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """Spend points (积分兑换) at the published rate (100 points = ¥1): on a fee coupon that
    comes off the fee of the next releases, or on cash to the available earnings. Offline
    clients send it through /v1/sync/push as the `redeem_points` intent."""
    return ctx.perform(Intent.REDEEM_POINTS, RedeemArgs.from_request({}, body))
