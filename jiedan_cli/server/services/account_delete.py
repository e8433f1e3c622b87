"""Closing an account (security.md, privacy): personal data anonymised, money records kept.

Refused while work is under way (an order awarded, in progress, delivered or disputed, on
either side) or money is still the user's to withdraw: those need the person. Otherwise their
open orders are cancelled and live bids withdrawn, the account's e-mail, name, password,
2FA and sessions go, the profile, portfolio and ID details are emptied (a closed account's
profile is not shown at all) — and the ledger, orders, bids, messages and reviews stay, under
the name "已注销用户". The change log is scrubbed too: every earlier change of the user's
account (e-mail, name) and profile (name, bio, city, skills, location, rate, portfolio) is
rewritten as the closed account shows; no other change carries them (bids, messages, reviews
and orders name people by id only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select, update

from jiedan_cli.domain.errors import Conflict
from jiedan_cli.domain.money import format_yuan
from jiedan_cli.domain.states import BidStatus, OrderStatus
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import (
    bids,
    change_log,
    orders,
    portfolio_items,
    profiles,
    sessions,
    users,
    verifications,
)
from jiedan_cli.server.services import bids as bid_service
from jiedan_cli.server.services import orders as order_service
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.earnings import earnings_summary
from jiedan_cli.server.services.profiles import retract_profile
from jiedan_cli.server.services.reauth import PasswordProof
from jiedan_cli.server.services.rows import fetch_for_update
from jiedan_cli.server.services.totp import verify_step_up
from jiedan_cli.server.services.users import record_user_change, user_row, user_view

CLOSED_NAME = "已注销用户"
# A closed account's profile, as its earlier changes are rewritten (the keys they carry).
CLOSED_PROFILE: dict[str, Any] = {
    "name": CLOSED_NAME,
    "skills": [],
    "bio": "",
    "city": None,
    "lat": None,
    "lon": None,
    "hourly_rate_fen": None,
    "portfolio": [],
}
UNDER_WAY = (
    OrderStatus.AWARDED.value,
    OrderStatus.IN_PROGRESS.value,
    OrderStatus.DELIVERED.value,
    OrderStatus.DISPUTED.value,
)


def delete_account(
    conn: Connection,
    actor: Actor,
    proof: PasswordProof,
    *,
    otp: str | None,
    now: datetime,
    address: str | None = None,
) -> dict[str, Any]:
    """Needs the password (`proof`) and, with 2FA on, a current code: not a token alone."""
    proof.check(fetch_for_update(conn, users, actor.id, what="user"))
    verify_step_up(conn, actor, otp, now=now, address=address)
    me = actor.id
    mine = or_(orders.c.client_id == me, orders.c.freelancer_id == me)
    busy = conn.scalar(
        select(func.count()).select_from(orders).where(mine, orders.c.status.in_(UNDER_WAY))
    )
    if busy:
        raise Conflict(
            f"{busy} order(s) of yours are under way: finish, cancel or settle them first",
            code="account_busy",
        )
    available = int(earnings_summary(conn, actor)["available_fen"])
    if available > 0:
        raise Conflict(
            f"¥{format_yuan(available)} is still yours: withdraw it first", code="balance_left"
        )
    open_orders = select(orders.c.id).where(
        orders.c.client_id == me, orders.c.status == OrderStatus.OPEN.value
    )
    for order_id in list(conn.execute(open_orders).scalars()):
        order_service.cancel_order(conn, actor, order_id, now=now, note="account closed")
    live_bids = select(bids.c.id).where(
        bids.c.freelancer_id == me, bids.c.status == BidStatus.SUBMITTED.value
    )
    for bid_id in list(conn.execute(live_bids).scalars()):
        bid_service.withdraw_bid(conn, actor, bid_id, now=now)
    _anonymise(conn, me, now=now)
    _scrub_change_log(conn, me)
    audit(conn, "account.deleted", now=now, actor_id=me, address=address)
    retract_profile(conn, me, now=now)
    record_user_change(conn, me, now=now)
    return {"id": me, "status": "deleted", "deleted_at": rfc3339(now)}


def _anonymise(conn: Connection, me: str, *, now: datetime) -> None:
    conn.execute(
        update(users)
        .where(users.c.id == me)
        .values(
            email=f"deleted-{me}@deleted.invalid",
            name=CLOSED_NAME,
            password_hash="!",  # matches no password
            totp_secret=None,
            totp_enabled=False,
            totp_last_step=None,
            status="deleted",
            deleted_at=now,
        )
    )
    conn.execute(
        update(sessions)
        .where(sessions.c.user_id == me, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    conn.execute(
        update(profiles)
        .where(profiles.c.user_id == me)
        .values(skills=[], bio="", city=None, lat=None, lon=None, hourly_rate_fen=None)
    )
    conn.execute(delete(portfolio_items).where(portfolio_items.c.user_id == me))
    conn.execute(
        update(verifications)
        .where(verifications.c.user_id == me)
        .values(real_name="", id_number_encrypted="", certificates=[])
    )


def _scrub_change_log(conn: Connection, me: str) -> None:
    """Rewrite the user's earlier `user` and `profile` changes as the closed account shows
    (after `_anonymise`), so no payload keeps the e-mail, the name or the profile. What this
    transaction publishes is appended at its commit; before this point it publishes no user
    or profile change (cancelled orders, withdrawn bids), after it only the closed ones."""
    conn.execute(
        update(change_log)
        .where(change_log.c.entity == "user", change_log.c.entity_id == me)
        .values(payload=user_view(user_row(conn, me)))
    )
    profile_changes = conn.execute(
        select(change_log.c.seq, change_log.c.payload).where(
            change_log.c.entity == "profile",
            change_log.c.entity_id == me,
            change_log.c.payload.is_not(None),
        )
    ).all()
    for seq, payload in profile_changes:
        closed = {key: value for key, value in CLOSED_PROFILE.items() if key in payload}
        conn.execute(
            update(change_log).where(change_log.c.seq == seq).values(payload={**payload, **closed})
        )
