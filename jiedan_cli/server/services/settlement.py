"""Money leaving escrow: release (less the platform fee), refund, a dispute's split — and
what follows when the last milestone of an order settles.

Transfer ids are fixed per milestone (`release:<m>`, `fee:<m>`, `protection:<m>`,
`refund:<m>`), whatever path pays: accept, auto-release and dispute resolution all use
`release:<m>` for the freelancer's money. Besides the state check made under the order's row
lock, the ledger itself therefore refuses to pay a milestone out twice (a second
`release:<m>` with other fields is a Conflict, with the same fields a no-op).

A share of each fee (`protection_pct`, JIEDAN_SERVER_PROTECTION_SHARE_PCT) moves on from
platform:fees to platform:protection in the same posting as the fee (`protection:<m>`), the
fund staff compensate a defrauded party from (services/protection.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from jiedan_cli.domain.campaigns import fee_discount_bp
from jiedan_cli.domain.ledger import (
    DEFAULT_PROTECTION_SHARE_PCT,
    PAYOUT_KINDS,
    PLATFORM_FEES,
    PLATFORM_PROTECTION,
    Transfer,
    escrow,
    external,
    freelancer_available,
    protection_share,
    split_release,
    split_resolution,
)
from jiedan_cli.domain.points import points_for_completion
from jiedan_cli.domain.states import MILESTONE_HOLDING, MilestoneStatus, OrderStatus
from jiedan_cli.domain.tiers import tier_for
from jiedan_cli.server.db.tables import ledger_transfers, milestones, orders, profiles
from jiedan_cli.server.services.campaigns import running_campaigns
from jiedan_cli.server.services.escrow_state import set_milestone, set_order_status
from jiedan_cli.server.services.fee_plans import plan_in_force
from jiedan_cli.server.services.first_order_coupons import coupon_back
from jiedan_cli.server.services.ledger import post_transfers
from jiedan_cli.server.services.points import completed_volume, earn_points
from jiedan_cli.server.services.redemptions import use_fee_coupons
from jiedan_cli.server.services.referrals import settle_first_order

PROVIDER = "sandbox"
MS = MilestoneStatus


def fee_for(
    conn: Connection, freelancer_id: str, order_id: str, amount_fen: int, now: datetime
) -> int:
    """The commission on paying `amount_fen` to the freelancer, at the rate of the fee plan
    they chose and paid for (services/fee_plans.py; commission by default): their tier
    (trailing 12 months) discounts it, and so does a fee campaign running `now` for the
    order's category or for everyone (domain/campaigns.py); on their first order on the
    platform the waiver covers the fee on its first FIRST_ORDER_WAIVER_FEN (domain/fees.py),
    counting what it paid out already. Last, the freelancer's fee coupons (bought with
    points) cover what they can of it, and are used up by as much
    (services/redemptions.py): call it once a release."""
    volume, count = completed_volume(conn, freelancer_id, now=now)
    earlier = conn.execute(
        select(ledger_transfers.c.id)
        .where(
            ledger_transfers.c.destination == freelancer_available(freelancer_id),
            ledger_transfers.c.kind.in_(PAYOUT_KINDS),
            ledger_transfers.c.order_id != order_id,
        )
        .limit(1)
    ).first()
    first_order = earlier is None
    fee = (
        plan_in_force(conn, freelancer_id, now)
        .policy()
        .fee_for(
            amount_fen,
            tier=tier_for(volume, count),
            first_order=first_order,
            first_order_paid_fen=_gross_paid(conn, order_id) if first_order else 0,
            campaign_discount_bp=fee_discount_bp(
                running_campaigns(conn, now),
                conn.scalar(select(orders.c.category).where(orders.c.id == order_id)),
                now,
            ),
        )
    )
    return use_fee_coupons(conn, freelancer_id, fee, now=now)


def _payout(
    milestone: Row[Any],
    order: Row[Any],
    amount_fen: int,
    fee_fen: int,
    kind: str,
    protection_pct: int,
) -> list[Transfer]:
    """The freelancer's share less the fee, the fee, and the fee's share for the protection
    fund (zero amounts are not posted)."""
    to_freelancer, fee = split_release(amount_fen, fee_fen)
    moves = [
        Transfer(
            f"release:{milestone.id}",
            escrow(milestone.id),
            freelancer_available(order.freelancer_id),
            to_freelancer,
            kind,
            order.id,
            milestone.id,
        ),
        Transfer(
            f"fee:{milestone.id}",
            escrow(milestone.id),
            PLATFORM_FEES,
            fee,
            "fee",
            order.id,
            milestone.id,
        ),
        Transfer(
            f"protection:{milestone.id}",
            PLATFORM_FEES,
            PLATFORM_PROTECTION,
            protection_share(fee, protection_pct),
            "protection",
            order.id,
            milestone.id,
        ),
    ]
    return [m for m in moves if m.amount_fen > 0]


def _refund(
    conn: Connection, milestone: Row[Any], order: Row[Any], amount_fen: int
) -> list[Transfer]:
    """`amount_fen` out of escrow: the first-order coupon's share of it back to the platform
    (services/first_order_coupons.coupon_back), the rest back out to the payer."""
    if amount_fen <= 0:
        return []
    back, to_platform = coupon_back(conn, milestone, order.id, amount_fen)
    to_payer = Transfer(
        f"refund:{milestone.id}",
        escrow(milestone.id),
        external(PROVIDER),
        amount_fen - back,
        "refund",
        order.id,
        milestone.id,
    )
    return [m for m in (to_payer, *to_platform) if m.amount_fen > 0]


def release_milestone(
    conn: Connection,
    order: Row[Any],
    milestone: Row[Any],
    *,
    status: MilestoneStatus,
    now: datetime,
    actor_id: str | None,
    protection_pct: int = DEFAULT_PROTECTION_SHARE_PCT,
) -> None:
    """Pay a held milestone to the freelancer less the fee (status released/auto_released)."""
    fee = fee_for(conn, order.freelancer_id, order.id, milestone.amount_fen, now)
    moves = _payout(milestone, order, milestone.amount_fen, fee, "release", protection_pct)
    post_transfers(conn, moves, now=now, actor_id=actor_id)
    set_milestone(conn, order, milestone.id, now=now, status=status, settled_at=now)


def refund_milestone(
    conn: Connection, order: Row[Any], milestone: Row[Any], *, now: datetime, actor_id: str | None
) -> None:
    post_transfers(
        conn, _refund(conn, milestone, order, milestone.amount_fen), now=now, actor_id=actor_id
    )
    set_milestone(conn, order, milestone.id, now=now, status=MS.REFUNDED, settled_at=now)


def resolve_milestone(
    conn: Connection,
    order: Row[Any],
    milestone: Row[Any],
    to_freelancer_pct: int,
    *,
    now: datetime,
    actor_id: str | None,
    protection_pct: int = DEFAULT_PROTECTION_SHARE_PCT,
) -> int:
    """Split a disputed milestone: the client's part back out to the provider, the
    freelancer's part to them less the usual fee (charged on their share only). The refund
    is posted first so the accounts lock in sorted order (escrow, external, freelancer, fees)."""
    to_freelancer, to_client = split_resolution(milestone.amount_fen, to_freelancer_pct)
    fee = fee_for(conn, order.freelancer_id, order.id, to_freelancer, now) if to_freelancer else 0
    moves = _refund(conn, milestone, order, to_client) + _payout(
        milestone, order, to_freelancer, fee, "resolve", protection_pct
    )
    post_transfers(conn, moves, now=now, actor_id=actor_id)
    set_milestone(conn, order, milestone.id, now=now, status=MS.RESOLVED, settled_at=now)
    return to_freelancer


def lock_profile(conn: Connection, user_id: str | None) -> None:
    """Lock the freelancer's profile row up front, with the other rows: completion bumps it
    after the first change-log append, when taking a new row lock could deadlock."""
    if user_id and conn.dialect.name == "postgresql":
        conn.execute(
            select(profiles.c.user_id).where(profiles.c.user_id == user_id).with_for_update()
        )


def paid_to_freelancer(conn: Connection, order: Row[Any]) -> int:
    """Gross fen that went to the order's freelancer (their share plus the fee on it)."""
    return _gross_paid(conn, order.id)


def _gross_paid(conn: Connection, order_id: str) -> int:
    t = ledger_transfers.c
    paid = conn.scalar(
        select(func.coalesce(func.sum(t.amount_fen), 0)).where(
            t.order_id == order_id, t.kind.in_((*PAYOUT_KINDS, "fee"))
        )
    )
    return int(paid or 0)


def settle_order(conn: Connection, order: Row[Any], *, now: datetime) -> dict[str, Any]:
    """After money left escrow: the order stays `delivered` while a delivery awaits review,
    goes back to `in_progress` while milestones remain, else it is finished — `completed` if
    the freelancer was paid anything, `cancelled` if everything went back to the client."""
    statuses = set(
        conn.execute(select(milestones.c.status).where(milestones.c.order_id == order.id)).scalars()
    )
    current = conn.scalar(select(orders.c.status).where(orders.c.id == order.id))
    if MS.SUBMITTED in statuses and current == OrderStatus.DELIVERED:
        return set_order_status(conn, order, OrderStatus.DELIVERED, now=now)
    if statuses & (MILESTONE_HOLDING | {MS.CREATED}):
        return set_order_status(conn, order, OrderStatus.IN_PROGRESS, now=now)
    paid = paid_to_freelancer(conn, order)
    if paid == 0:
        return set_order_status(conn, order, OrderStatus.CANCELLED, now=now)
    view = set_order_status(conn, order, OrderStatus.COMPLETED, now=now)
    _reward_completion(conn, order, paid, now=now)
    return view


def _reward_completion(conn: Connection, order: Row[Any], paid_fen: int, *, now: datetime) -> None:
    from jiedan_cli.server.services.profiles import republish_profile

    conn.execute(
        update(profiles)
        .where(profiles.c.user_id == order.freelancer_id)
        .values(completed_count=profiles.c.completed_count + 1, updated_at=now)
    )
    republish_profile(conn, order.freelancer_id, now=now)
    points = points_for_completion(paid_fen)
    if points > 0:
        for user_id in (order.client_id, order.freelancer_id):
            earn_points(
                conn,
                user_id=user_id,
                base=points,
                kind="completion",
                entry_id=f"completion:{order.id}:{user_id}",
                order_id=order.id,
                now=now,
            )
    settle_first_order(conn, order, now=now)
