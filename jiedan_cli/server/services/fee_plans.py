"""Fee plans (收费方案, #13): the plan a freelancer chose among domain/fees.FEE_PLANS, what it
costs a month, and its billing through the ledger.

A plan with a monthly charge (its fee and any forced promotion package) is billed at choosing
for the first period (PLAN_PERIOD), then by jobs/plan_fees.py once its `paid_until` has
passed: `plan-fee:<user>:<n>` from the freelancer's available earnings to platform:fees, the
n-th bill of that user (a repeat posts nothing). Never an overdraft: a choice the earnings
cannot cover is refused (409 insufficient_funds) and changes nothing; a renewal they cannot
cover lapses the plan to the default (commission) and bills nothing. A release reads the
plan in force (`plan_in_force`): a paid plan only while it is paid for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from jiedan_cli.domain.errors import Refused
from jiedan_cli.domain.fees import (
    DEFAULT_PLAN,
    FEE_PLANS,
    PLAN_PERIOD,
    FeePlan,
    fee_plan,
)
from jiedan_cli.domain.ledger import PLATFORM_FEES, Transfer, freelancer_available
from jiedan_cli.domain.money import CURRENCY, format_yuan
from jiedan_cli.domain.tiers import tier_for
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import fee_plans
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.ledger import (
    balance,
    insert_or_ignore,
    lock_accounts,
    post_transfers,
)
from jiedan_cli.server.services.points import completed_volume

PLAN_FEE_KIND = "plan_fee"
RENEWAL_BATCH = 200


def _row(conn: Connection, user_id: str, *, lock: bool = False) -> Row[Any] | None:
    query = select(fee_plans).where(fee_plans.c.user_id == user_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def _in_force(row: Row[Any] | None, now: datetime) -> FeePlan:
    if row is None:
        return fee_plan(DEFAULT_PLAN)
    plan = fee_plan(row.plan)
    if plan.monthly_charge_fen and (row.paid_until is None or row.paid_until <= now):
        return fee_plan(DEFAULT_PLAN)  # unpaid (the renewal is due): the default meanwhile
    return plan


def plan_in_force(conn: Connection, user_id: str, now: datetime) -> FeePlan:
    """The plan whose commission a release to `user_id` at `now` pays."""
    return _in_force(_row(conn, user_id), now)


def _offer(plan: FeePlan, tier: str) -> dict[str, Any]:
    return {
        "plan": plan.name,
        "label": plan.label,
        "rate_bp": plan.rate_for(tier),
        "monthly_fee_fen": plan.monthly_fee_fen,
        "package_fen": plan.package_fen,
        "monthly_charge_fen": plan.monthly_charge_fen,
    }


def plan_view(conn: Connection, actor: Actor, *, now: datetime) -> dict[str, Any]:
    """The caller's plan (chosen, and in force now), when it is paid until, and the offers at
    their tier."""
    row = _row(conn, actor.id)
    tier = str(tier_for(*completed_volume(conn, actor.id, now=now)))
    chosen = fee_plan(row.plan) if row is not None else fee_plan(DEFAULT_PLAN)
    in_force = _in_force(row, now)
    return {
        **_offer(chosen, tier),
        "in_force": in_force.name,
        "tier": tier,
        "chosen_at": rfc3339(row.chosen_at) if row is not None else None,
        "paid_until": rfc3339(row.paid_until) if row is not None and row.paid_until else None,
        "lapsed_from": row.lapsed_from if row is not None else None,
        "lapsed_at": rfc3339(row.lapsed_at) if row is not None and row.lapsed_at else None,
        "currency": CURRENCY,
        "offers": [_offer(plan, tier) for plan in FEE_PLANS],
    }


def _bill(conn: Connection, user_id: str, plan: FeePlan, n: int, now: datetime) -> None:
    post_transfers(
        conn,
        [
            Transfer(
                f"plan-fee:{user_id}:{n}",
                freelancer_available(user_id),
                PLATFORM_FEES,
                plan.monthly_charge_fen,
                PLAN_FEE_KIND,
            )
        ],
        now=now,
        actor_id=user_id,
    )


def choose_plan(conn: Connection, actor: Actor, name: str, *, now: datetime) -> dict[str, Any]:
    """Switch the caller to plan `name`; a paid plan bills its first period now (refused,
    changing nothing, when the available earnings cannot cover it). Choosing the plan one
    has, paid for, changes nothing (a retry bills once); what is left of a paid period is
    not refunded on a switch (docs/decisions.md)."""
    plan = fee_plan(name)
    insert_or_ignore(conn, fee_plans, user_id=actor.id, plan=DEFAULT_PLAN, chosen_at=now, periods=0)
    row = _row(conn, actor.id, lock=True)
    assert row is not None
    if row.plan == plan.name and _in_force(row, now) == plan:
        return plan_view(conn, actor, now=now)
    periods, paid_until = int(row.periods), None
    if plan.monthly_charge_fen:
        account = freelancer_available(actor.id)
        lock_accounts(conn, {account, PLATFORM_FEES}, now=now)
        if (held := balance(conn, account)) < plan.monthly_charge_fen:
            raise Refused(
                f"the {plan.name} plan costs {format_yuan(plan.monthly_charge_fen)} yuan a month;"
                f" your available earnings are {format_yuan(held)}",
                code="insufficient_funds",
            )
        periods += 1
        _bill(conn, actor.id, plan, periods, now)
        paid_until = now + PLAN_PERIOD
    conn.execute(
        update(fee_plans)
        .where(fee_plans.c.user_id == actor.id)
        .values(
            plan=plan.name,
            chosen_at=now,
            paid_until=paid_until,
            periods=periods,
            lapsed_from=None,
            lapsed_at=None,
        )
    )
    return plan_view(conn, actor, now=now)


def due_renewals(conn: Connection, now: datetime) -> list[str]:
    """Users whose paid plan's period has ended by `now` (a batch)."""
    paid = [p.name for p in FEE_PLANS if p.monthly_charge_fen]
    return list(
        conn.execute(
            select(fee_plans.c.user_id)
            .where(fee_plans.c.plan.in_(paid), fee_plans.c.paid_until <= now)
            .order_by(fee_plans.c.paid_until, fee_plans.c.user_id)
            .limit(RENEWAL_BATCH)
        ).scalars()
    )


def renew_plan(conn: Connection, user_id: str, *, now: datetime) -> str:
    """Bill the next period of `user_id`'s plan if it is due: 'renewed' when their available
    earnings cover it, else 'lapsed' (back to the default plan, nothing billed); 'none' when
    nothing is due (another run did it)."""
    row = _row(conn, user_id, lock=True)
    if row is None or row.paid_until is None or row.paid_until > now:
        return "none"
    plan = fee_plan(row.plan)
    if not plan.monthly_charge_fen:
        return "none"
    account = freelancer_available(user_id)
    lock_accounts(conn, {account, PLATFORM_FEES}, now=now)
    if balance(conn, account) < plan.monthly_charge_fen:
        conn.execute(
            update(fee_plans)
            .where(fee_plans.c.user_id == user_id)
            .values(plan=DEFAULT_PLAN, paid_until=None, lapsed_from=plan.name, lapsed_at=now)
        )
        return "lapsed"
    periods = int(row.periods) + 1
    _bill(conn, user_id, plan, periods, now)
    conn.execute(
        update(fee_plans)
        .where(fee_plans.c.user_id == user_id)
        .values(periods=periods, paid_until=now + PLAN_PERIOD)
    )
    return "renewed"
