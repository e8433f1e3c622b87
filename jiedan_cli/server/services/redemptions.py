"""Redeeming points (积分兑换, #13): for a fee coupon that comes off the fee of the next
releases, or for cash to the caller's available earnings through `platform:promotions`, at the
published rate (domain/points.REDEEM_FEN_PER_POINT).

Once only: a redemption's id is chosen by the client before it is sent (REST or an offline
push), and it names the points entry (`redeem:<id>`), the coupon and the transfers; a repeat
answers the first redemption and moves nothing. Never below zero: the points balance's
conditional update refuses a redemption the balance cannot cover (`insufficient_points`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from jiedan_cli.domain.errors import Conflict
from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.ledger import (
    PLATFORM_PROMOTIONS,
    PROMOTIONS_FUNDING,
    Transfer,
    freelancer_available,
)
from jiedan_cli.domain.money import CURRENCY
from jiedan_cli.domain.points import REDEEM_FEN_PER_POINT, apply_coupons, check_redemption
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import fee_coupons, points_entries
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.ledger import post_transfers
from jiedan_cli.server.services.points import award_points

ENTRY_KINDS = {"coupon": "redeem_coupon", "cash": "redeem_cash"}


def redemption_view(entry: Row[Any]) -> dict[str, Any]:
    points = -int(entry.amount)
    return {
        "id": entry.id.removeprefix("redeem:"),
        "kind": entry.kind.removeprefix("redeem_"),
        "points": points,
        "value_fen": points * REDEEM_FEN_PER_POINT,
        "currency": CURRENCY,
        "created_at": rfc3339(entry.created_at),
    }


def redeem_points(
    conn: Connection,
    actor: Actor,
    *,
    kind: str,
    points: int,
    now: datetime,
    redemption_id: str | None = None,
) -> dict[str, Any]:
    """Spend `points` on a fee coupon or on cash; a repeat of `redemption_id` answers the
    first redemption (Conflict when the id was used for another one)."""
    value_fen = check_redemption(kind, points)
    redemption_id = redemption_id or new_id()
    entry_id = f"redeem:{redemption_id}"
    existing = conn.execute(select(points_entries).where(points_entries.c.id == entry_id)).first()
    if existing is not None:
        if (existing.user_id, existing.kind, -existing.amount) != (
            actor.id,
            ENTRY_KINDS[kind],
            points,
        ):
            raise Conflict(f"redemption {redemption_id} exists with different fields")
        return redemption_view(existing)
    award_points(
        conn,
        user_id=actor.id,
        amount=-points,
        kind=ENTRY_KINDS[kind],
        entry_id=entry_id,
        now=now,
    )  # refused (insufficient_points) when the balance cannot cover it: nothing else happens
    if kind == "cash":
        payout = [
            Transfer(f"promo-fund:{redemption_id}", PROMOTIONS_FUNDING, PLATFORM_PROMOTIONS,
                     value_fen, "promotion"),
            Transfer(f"promo-cash:{redemption_id}", PLATFORM_PROMOTIONS,
                     freelancer_available(actor.id), value_fen, "promotion"),
        ]  # fmt: skip
        post_transfers(conn, payout, now=now, actor_id=actor.id)
    else:
        conn.execute(
            fee_coupons.insert().values(
                id=redemption_id,
                user_id=actor.id,
                points=points,
                value_fen=value_fen,
                remaining_fen=value_fen,
                created_at=now,
            )
        )
    entry = conn.execute(select(points_entries).where(points_entries.c.id == entry_id)).one()
    return redemption_view(entry)


def use_fee_coupons(conn: Connection, user_id: str, fee_fen: int, *, now: datetime) -> int:
    """The fee left after the user's coupons (oldest first) cover what they can of `fee_fen`;
    what each covered comes off its remaining value, in the release's transaction."""
    if fee_fen <= 0:
        return max(fee_fen, 0)
    query = (
        select(fee_coupons.c.id, fee_coupons.c.remaining_fen)
        .where(fee_coupons.c.user_id == user_id, fee_coupons.c.remaining_fen > 0)
        .order_by(fee_coupons.c.created_at, fee_coupons.c.id)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    coupons = conn.execute(query).all()
    used = apply_coupons(fee_fen, [int(c.remaining_fen) for c in coupons])
    for coupon, take in zip(coupons, used, strict=True):
        if take:
            conn.execute(
                update(fee_coupons)
                .where(fee_coupons.c.id == coupon.id)
                .values(remaining_fen=fee_coupons.c.remaining_fen - take, last_used_at=now)
            )
    return fee_fen - sum(used)


def coupons_left(conn: Connection, user_id: str) -> int:
    """Fen of fee coupons the user has still to use."""
    rows = conn.execute(
        select(fee_coupons.c.remaining_fen).where(fee_coupons.c.user_id == user_id)
    ).scalars()
    return sum(int(r) for r in rows)
