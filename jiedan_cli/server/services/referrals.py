"""Referrals (推荐好友, #13): each account's code, the referral a registration records, and
its settlement when the referee completes a first order — points to both, exactly once, or
withheld with the reason (domain/referrals.py).

Exactly once: the settlement is a conditional update of the referral row (`pending` → done),
so of two completions racing (two orders, a retried accept) one changes it and the other
finds it settled; the two points entries have fixed ids besides (`referral:<referee>:…`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, literal, select, update

from jiedan_cli.domain.errors import Refused
from jiedan_cli.domain.referrals import (
    PENDING,
    REWARDED,
    WITHHELD,
    new_code,
    normalise_code,
    withheld_reason,
)
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import account_devices, referral_codes, referrals
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.devices import NO_DEVICE
from jiedan_cli.server.services.ledger import insert_or_ignore
from jiedan_cli.server.services.points import earn_points


@dataclass(frozen=True)
class ReferralTerms:
    """What a registration names: the inviter's code, and the reward in force then."""

    code: str
    reward_points: int


def code_of(conn: Connection, user_id: str, *, now: datetime) -> str:
    """The account's referral code, made on first ask (a taken code is drawn again)."""
    while True:
        found = conn.scalar(
            select(referral_codes.c.code).where(referral_codes.c.user_id == user_id)
        )
        if found is not None:
            return str(found)
        # ON CONFLICT DO NOTHING covers both keys: a twin request made the account's code,
        # or the code drawn is another account's; either way the loop reads again.
        insert_or_ignore(conn, referral_codes, user_id=user_id, code=new_code(), created_at=now)


def record_referral(
    conn: Connection, referee_id: str, terms: ReferralTerms, *, now: datetime
) -> None:
    """The new account `referee_id` was invited with `terms.code`; refused when no account
    has that code (the registration is then undone with it)."""
    code = normalise_code(terms.code)
    referrer = conn.scalar(select(referral_codes.c.user_id).where(referral_codes.c.code == code))
    if referrer is None:
        raise Refused(
            f"no account has the referral code {code}: check it with the person who invited you",
            code="unknown_referral_code",
            field="referral",
        )
    conn.execute(
        referrals.insert().values(
            referee_id=referee_id,
            referrer_id=referrer,
            reward_points=terms.reward_points,
            status=PENDING,
            created_at=now,
        )
    )


def settle_first_order(conn: Connection, order: Row[Any], *, now: datetime) -> None:
    """`order` just completed: a party of it still waiting on their referral settles it."""
    for referee_id in (order.client_id, order.freelancer_id):
        referral = conn.execute(
            select(referrals).where(
                referrals.c.referee_id == referee_id, referrals.c.status == PENDING
            )
        ).first()
        if referral is not None:
            _settle(conn, referral, order, now=now)


def _settle(conn: Connection, referral: Row[Any], order: Row[Any], *, now: datetime) -> None:
    referrer, referee = referral.referrer_id, referral.referee_id
    reason = withheld_reason(
        shared_install=_share_an_install(conn, referee, referrer),
        order_with_referrer=referrer in (order.client_id, order.freelancer_id),
    )
    done = conn.execute(
        update(referrals)
        .where(referrals.c.referee_id == referee, referrals.c.status == PENDING)
        .values(
            status=WITHHELD if reason else REWARDED,
            reason=reason,
            order_id=order.id,
            settled_at=now,
        )
    )
    if done.rowcount != 1 or reason is not None or referral.reward_points <= 0:
        return  # settled by a concurrent completion, or nothing to give
    for user_id, side in sorted(((referrer, "referrer"), (referee, "referee"))):
        earn_points(
            conn,
            user_id=user_id,
            base=int(referral.reward_points),
            kind="referral",
            entry_id=f"referral:{referee}:{side}",
            order_id=order.id,
            now=now,
        )


def _share_an_install(conn: Connection, user_id: str, other_id: str) -> bool:
    """Whether the two accounts were ever seen on one install id (services/devices.py's
    links). An address alone does not count: a household or an office shares one."""
    mine, theirs = account_devices.alias("mine"), account_devices.alias("theirs")
    shared = and_(mine.c.device_id == theirs.c.device_id, mine.c.device_id != NO_DEVICE)
    found = conn.execute(
        select(literal(1))
        .select_from(mine.join(theirs, shared))
        .where(mine.c.user_id == user_id, theirs.c.user_id == other_id)
        .limit(1)
    ).first()
    return found is not None


def referral_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "status": row.status,
        "reason": row.reason,
        "reward_points": int(row.reward_points),
        "order_id": row.order_id,
        "created_at": rfc3339(row.created_at),
        "settled_at": rfc3339(row.settled_at) if row.settled_at else None,
    }


def my_referral(
    conn: Connection, actor: Actor, *, now: datetime, reward_points: int
) -> dict[str, Any]:
    """GET /v1/me/referral: the caller's code, the reward a referral earns now, who they
    invited (each referral's state, the referee's id) and the referral they came with."""
    code = code_of(conn, actor.id, now=now)
    invited = conn.execute(
        select(referrals)
        .where(referrals.c.referrer_id == actor.id)
        .order_by(referrals.c.created_at, referrals.c.referee_id)
    ).all()
    came_with = conn.execute(select(referrals).where(referrals.c.referee_id == actor.id)).first()
    return {
        "code": code,
        "reward_points": reward_points,
        "invited": [{"referee_id": r.referee_id, **referral_view(r)} for r in invited],
        "referred_by": referral_view(came_with) if came_with else None,
    }
