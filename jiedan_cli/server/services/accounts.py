"""Accounts: registration, sign-in and sessions, staff accounts, step-up checks.

Sessions are opaque random tokens; the server keeps only their SHA-256, so a leaked
database yields no usable token. Every sign-in attempt is recorded for throttling before
it is checked, in a transaction of its own (`sign_in`, login_throttle)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from jiedan_cli.domain.emails import check_email, normalise_email
from jiedan_cli.domain.errors import (
    Conflict,
    Held,
    InvalidInput,
    NotFound,
    RiskBlocked,
    TooManyAttempts,
    Unauthenticated,
)
from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.risk import Action
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import points_balances, profiles, sessions, users
from jiedan_cli.server.services import devices, holds, login_throttle, totp
from jiedan_cli.server.services.account_review import closed_message, registration_review
from jiedan_cli.server.services.actors import STAFF_ROLES, Actor, hash_token, parse_roles
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.passwords import hash_password, needs_rehash, verify_password
from jiedan_cli.server.services.profiles import empty_profile_row, record_profile
from jiedan_cli.server.services.referrals import ReferralTerms, record_referral
from jiedan_cli.server.services.risk import Origin, gate
from jiedan_cli.server.services.users import record_user_change, user_row, user_view

DEFAULT_SESSION_DAYS = 30
ROLES_FOR_CHOICE = {
    "freelancer": ("freelancer",),
    "client": ("client",),
    "both": ("client", "freelancer"),
}
BAD_CREDENTIALS = "the e-mail or password is wrong"
# When a code was sent: the same words whichever of the three was wrong, so that an attacker
# without the code cannot learn whether the password was right (issue 9).
BAD_CREDENTIALS_WITH_CODE = "the e-mail, password or one-time code is wrong"
OTP_REQUIRED = "this account needs a one-time code from your authenticator with the password"

# Fixed names other code calls; they live beside the things they serve.
verify_step_up = totp.verify_step_up
__all__ = [
    "check_email",
    "create_staff",
    "logout",
    "normalise_email",
    "register",
    "sign_in",
    "user_row",
    "user_view",
    "verify_step_up",
]


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name: must be 1 to 200 characters", field="name")
    return name


# ---- registration and staff ---------------------------------------------------------------


def register(db: Database, **given: Any) -> dict[str, Any]:
    """`_register` (its arguments), and when the risk engine blocked the registration —
    the account made closed and its hold recorded, both committed — RiskBlocked."""
    done = _register(db, **given)
    if "blocked" in done:
        raise done["blocked"]
    return done


def _register(
    db: Database,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    now: datetime,
    address: str,
    session_ttl_days: int = DEFAULT_SESSION_DAYS,
    device: str = "",
    per_address_hour: int = 0,
    install: str = "",
    origin: Origin | None = None,
    referral: ReferralTerms | None = None,
) -> dict[str, Any]:
    """A new marketplace account, signed in: {user, token}. With `referral`, invited by the
    account of that code (refused, and nothing made, when no account has it).

    With `per_address_hour`, each registration is counted against the address first
    (login_throttle), like a sign-in; an e-mail already taken stays counted as a failed
    attempt (it tells the caller the account exists), a refused or malformed one is taken
    back. `install` (the client's install id, "" for none) and `address` are linked to the
    new account (services/devices); with `origin` the registration is assessed and recorded
    (services/risk)."""
    roles = ROLES_FOR_CHOICE.get(role)
    if roles is None:
        raise InvalidInput("role: must be freelancer, client or both", field="role")

    def registered(conn: Connection) -> dict[str, Any]:
        return _registered(
            conn,
            email,
            name,
            password,
            roles,
            now,
            address,
            session_ttl_days,
            device,
            install,
            origin,
            referral,
        )

    if per_address_hour <= 0:
        with db.write() as conn:
            return registered(conn)
    key = login_throttle.REGISTRATION_KEY
    attempt = login_throttle.open_attempt(db, email=key, address=address, now=now)
    try:
        with db.read() as conn:
            login_throttle.check_registration(
                conn, address=address, per_hour=per_address_hour, now=now, attempt_id=attempt
            )
        with db.write() as conn:
            done = registered(conn)
            login_throttle.mark_passed(conn, attempt)
            return done
    except Conflict as exc:
        if exc.code != "email_taken":
            login_throttle.forget(db, attempt)
        raise
    except BaseException:
        login_throttle.forget(db, attempt)
        raise


def _registered(
    conn: Connection,
    email: str,
    name: str,
    password: str,
    roles: tuple[str, ...],
    now: datetime,
    address: str,
    session_ttl_days: int,
    device: str,
    install: str,
    origin: Origin | None,
    referral: ReferralTerms | None,
) -> dict[str, Any]:
    user = _create_user(conn, email=email, name=name, password=password, roles=roles, now=now)
    if referral is not None:
        record_referral(conn, user["id"], referral, now=now)
    newcomer = Actor(user["id"], email, user["name"], frozenset(roles))
    audit(conn, "account.registered", now=now, actor_id=user["id"], address=address)
    devices.record_link(conn, user["id"], install, address, now=now)
    review = None
    try:
        gate(conn, newcomer, Action.REGISTER, origin, now=now, object_id=user["id"])
    except Held as held:  # the account is made; a reviewer looks at it (no intent to hold)
        holds.record_hold(conn, newcomer, held, intent=None, args=None, now=now, undone=False)
        review = registration_review(conn, user["id"])
    except RiskBlocked as blocked:  # made closed, so staff see who was refused
        holds.record_hold(conn, newcomer, blocked, intent=None, args=None, now=now, undone=False)
        holds.close_account(conn, user["id"])
        return {"blocked": blocked}
    token = open_session(
        conn, user["id"], now=now, ttl_days=session_ttl_days, device=device, address=address
    )
    return {"user": {**user, "review": review}, "token": token}


def create_staff(
    conn: Connection,
    *,
    email: str,
    role: str,
    password: str | None,
    name: str,
    now: datetime,
    promote: bool = False,
) -> dict[str, Any]:
    """A new staff account with `role` (`jiedan server create-staff`). Staff accounts are
    separate from marketplace ones: an existing account of `email` is refused unless
    `promote` (`--promote`) says to give it the role, and then it keeps its own password (one
    given is refused, never silently ignored). Staff never act on what they are party to
    (staff_rules), a promoted account included. The audit row names the command as actor."""
    if role not in STAFF_ROLES:
        raise InvalidInput(f"role: must be one of {', '.join(sorted(STAFF_ROLES))}", field="role")
    email = check_email(email)
    existing = conn.execute(select(users).where(users.c.email == email)).first()
    if promote:
        return _promote(conn, existing, email=email, role=role, password=password, now=now)
    if existing is not None:
        raise Conflict(
            f"an account for {email} exists already; staff accounts are separate: use another"
            " e-mail, or --promote to give this account the role",
            code="account_exists",
            field="email",
        )
    if password is None:
        raise InvalidInput("password: a new staff account needs one", field="password")
    user = _create_user(conn, email=email, name=name, password=password, roles=(role,), now=now)
    audit(conn, "staff.created", now=now, target=user["id"], role=role, by=CREATE_STAFF)
    return user


CREATE_STAFF = "jiedan server create-staff"


def _promote(
    conn: Connection,
    existing: Any,
    *,
    email: str,
    role: str,
    password: str | None,
    now: datetime,
) -> dict[str, Any]:
    if existing is None:
        raise NotFound(f"no account for {email} to promote", field="email")
    if password is not None:
        raise InvalidInput(
            "password: --promote keeps the account's own password; give none", field="password"
        )
    roles = parse_roles(existing.roles) | {role}
    conn.execute(
        update(users).where(users.c.id == existing.id).values(roles=",".join(sorted(roles)))
    )
    by = f"{CREATE_STAFF} --promote"
    audit(conn, "staff.role_granted", now=now, target=existing.id, role=role, by=by)
    return record_user_change(conn, existing.id, now=now)


def _create_user(
    conn: Connection,
    *,
    email: str,
    name: str,
    password: str,
    roles: tuple[str, ...],
    now: datetime,
) -> dict[str, Any]:
    email, name = check_email(email), check_name(name)
    password_hash = hash_password(password)
    if conn.scalar(select(users.c.id).where(users.c.email == email)) is not None:
        raise Conflict(f"an account for {email} already exists", code="email_taken", field="email")
    user_id = new_id()
    try:
        conn.execute(
            insert(users).values(
                id=user_id,
                email=email,
                name=name,
                password_hash=password_hash,
                roles=",".join(sorted(roles)),
                created_at=now,
            )
        )
    except IntegrityError as exc:  # a concurrent registration of the same e-mail won
        raise Conflict(f"an account for {email} already exists", code="email_taken") from exc
    conn.execute(insert(profiles).values(**empty_profile_row(user_id, now=now)))
    conn.execute(insert(points_balances).values(user_id=user_id, balance=0))
    record_profile(conn, user_id, now=now)
    return record_user_change(conn, user_id, now=now)


# ---- sessions -----------------------------------------------------------------------------


def open_session(
    conn: Connection,
    user_id: str,
    *,
    now: datetime,
    ttl_days: int,
    device: str = "",
    address: str = "",
) -> str:
    """A new session's token; `device` (the client's own name for itself) and `address` are
    shown to the owner in `GET /v1/auth/sessions`."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(sessions).values(
            token_hash=hash_token(token),
            id=new_id(),
            user_id=user_id,
            device=device[:100],
            address=address[:64],
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=ttl_days),
        )
    )
    return token


def logout(conn: Connection, actor: Actor, *, now: datetime) -> None:
    """Revoke the session the actor is calling with."""
    conn.execute(
        update(sessions)
        .where(sessions.c.token_hash == actor.token_hash, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    audit(conn, "logout", now=now, actor_id=actor.id)


# ---- sign-in ------------------------------------------------------------------------------


def sign_in(
    db: Database,
    *,
    email: str,
    password: str,
    otp: str | None,
    now: datetime,
    address: str,
    session_ttl_days: int = DEFAULT_SESSION_DAYS,
    device: str = "",
    install: str = "",
) -> dict[str, Any]:
    """{user, token}, or Unauthenticated / TooManyAttempts, audited as login.failed. The
    attempt is recorded (as a failure) before it is checked, each step in a transaction of
    its own, and the password verified between them (login_throttle); one the throttle
    refuses is taken back. An account with 2FA asked without a code answers otp_required
    before its password is looked at (nothing tried, nothing counted); with a code, a wrong
    password and a wrong code answer alike. A sign-in links the account to `install` (the
    client's install id, "" for none) and `address` (services/devices)."""
    email = normalise_email(email)
    wrong = BAD_CREDENTIALS_WITH_CODE if otp else BAD_CREDENTIALS
    attempt = login_throttle.open_attempt(db, email=email, address=address, now=now)
    try:
        with db.read() as conn:
            login_throttle.check_sign_in(
                conn, email=email, address=address, now=now, attempt_id=attempt
            )
            row = conn.execute(select(users).where(users.c.email == email)).first()
    except TooManyAttempts as refused:
        login_throttle.forget(db, attempt)
        with db.write() as conn:
            _audit_failed_login(conn, email=email, address=address, reason=refused.code, now=now)
        raise
    if row is not None and row.totp_enabled and row.status == "active" and not otp:
        login_throttle.forget(db, attempt)
        raise Unauthenticated(OTP_REQUIRED, code="otp_required")
    try:
        # With no account, a decoy hash is verified: a miss takes as long as a wrong password.
        matches = verify_password(row.password_hash if row else None, password)
        if row is None or not matches:
            raise Unauthenticated(wrong, code="bad_credentials")
        verified_hash: str = row.password_hash
        new_hash = hash_password(password) if needs_rehash(verified_hash) else None
        with db.write() as conn:
            return _signed_in(
                conn,
                row.id,
                verified_hash=verified_hash,
                new_hash=new_hash,
                otp=otp,
                attempt=attempt,
                now=now,
                address=address,
                session_ttl_days=session_ttl_days,
                device=device,
                install=install,
            )
    except Unauthenticated as failure:
        with db.write() as conn:
            _audit_failed_login(conn, email=email, address=address, reason=failure.code, now=now)
        if failure.code in ("bad_otp", "otp_required"):  # the password was right: say no more
            raise Unauthenticated(wrong, code="bad_credentials") from None
        raise


def _signed_in(
    conn: Connection,
    user_id: str,
    *,
    verified_hash: str,
    new_hash: str | None,
    otp: str | None,
    attempt: int,
    now: datetime,
    address: str,
    session_ttl_days: int,
    device: str = "",
    install: str = "",
) -> dict[str, Any]:
    """The session of a user whose password matched `verified_hash`, unless the account
    changed meanwhile (another password, closed) or its second factor is missing."""
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    if row is None or row.password_hash != verified_hash:
        raise Unauthenticated(BAD_CREDENTIALS, code="bad_credentials")
    if row.status == "closed":  # the password matched: the owner may know why
        raise Unauthenticated(closed_message(conn, row.id), code="account_closed")
    if row.status != "active":
        raise Unauthenticated(BAD_CREDENTIALS, code="bad_credentials")
    if row.totp_enabled:
        totp.check_login_code(conn, row, otp, now=now)
    if new_hash is not None:
        conn.execute(
            update(users)
            .where(users.c.id == row.id, users.c.password_hash == verified_hash)
            .values(password_hash=new_hash)
        )
    login_throttle.mark_success(conn, attempt)
    audit(conn, "login.ok", now=now, actor_id=row.id, address=address)
    devices.record_link(conn, row.id, install, address, now=now)
    token = open_session(
        conn, row.id, now=now, ttl_days=session_ttl_days, device=device, address=address
    )
    return {"user": {**user_view(row), "review": registration_review(conn, row.id)}, "token": token}


def _audit_failed_login(
    conn: Connection, *, email: str, address: str, reason: str, now: datetime
) -> None:
    user_id = conn.scalar(select(users.c.id).where(users.c.email == email))
    audit(
        conn,
        "login.failed",
        now=now,
        actor_id=user_id,
        target=email[:200],
        address=address,
        reason=reason,
    )
