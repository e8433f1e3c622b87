"""Two-factor authentication with time-based one-time codes (RFC 6238: HMAC-SHA1, 30 s
steps, 6 digits), accepted within ±1 step of drift and once only: the last step used is
stored, and a code for that step or an earlier one is refused. The seed is sealed at rest
(`secrets_box`). Bad codes count toward throttling like failed sign-ins, under the key
`totp:<user id>`, and as atomically: callers wrap the transaction that checks a code in
`recording_otp_failures`, which records the attempt as a failure before it (the transaction
of a refused code rolls back) and takes it back when no bad code was given."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import Connection, Row, update

from jiedan_cli.domain.errors import Conflict, TooManyAttempts, Unauthenticated
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import users
from jiedan_cli.server.services import login_throttle
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.reauth import PasswordProof
from jiedan_cli.server.services.rows import fetch_for_update
from jiedan_cli.server.services.secrets_box import box_for
from jiedan_cli.server.services.users import record_user_change

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ISSUER = "jiedan"
BOX_PURPOSE = "totp-secret"

# The attempt `recording_otp_failures` recorded for the code being checked: the services
# that check one take no throttle argument, and it must not count against itself.
_attempt: ContextVar[int | None] = ContextVar("jiedan_totp_attempt", default=None)


# ---- the algorithm ------------------------------------------------------------------------


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_for_step(secret_b32: str, step: int, *, digits: int = DIGITS) -> str:
    return pyotp.TOTP(secret_b32, digits=digits, interval=STEP_SECONDS).generate_otp(step)


def matching_step(
    secret_b32: str,
    code: str,
    *,
    now: datetime,
    last_step: int | None = None,
    digits: int = DIGITS,
) -> int | None:
    """The step `code` belongs to (current ±1), unless that step is at or before `last_step`."""
    code = code.replace(" ", "").strip()
    if len(code) != digits or not code.isdigit():
        return None
    current = step_at(now)
    for step in range(max(0, current - DRIFT_STEPS), current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_for_step(secret_b32, step, digits=digits), code):
            return step
    return None


# ---- using a code -------------------------------------------------------------------------


def throttle_key(user_id: str) -> str:
    return f"totp:{user_id}"


def _check_throttle(
    conn: Connection, user_id: str, *, now: datetime, address: str | None = None
) -> None:
    login_throttle.check_allowed(
        conn, email=throttle_key(user_id), address=address, now=now, attempt_id=_attempt.get()
    )


def _use_code(conn: Connection, row: Row[Any], otp: str | None, *, now: datetime) -> None:
    """Accept `otp` for the user in `row` (locked) and burn its step, or raise."""
    if not otp:
        raise Unauthenticated(
            "this needs a one-time code from your authenticator", code="otp_required"
        )
    secret = box_for(conn, BOX_PURPOSE).open(row.totp_secret)
    step = matching_step(secret, otp, now=now, last_step=row.totp_last_step)
    if step is None:
        raise Unauthenticated("the one-time code is wrong, expired or already used", code="bad_otp")
    conn.execute(update(users).where(users.c.id == row.id).values(totp_last_step=step))


def check_login_code(conn: Connection, row: Row[Any], otp: str | None, *, now: datetime) -> None:
    """Sign-in's second factor (sign-in throttling already covers guessing)."""
    _use_code(conn, fetch_for_update(conn, users, row.id, what="user"), otp, now=now)


def verify_step_up(
    conn: Connection, actor: Actor, otp: str | None, *, now: datetime, address: str | None = None
) -> None:
    """Nothing when 2FA is off; else a valid, never-reused code, or Unauthenticated
    (code "otp_required" or "bad_otp"), or TooManyAttempts after repeated bad codes."""
    row = fetch_for_update(conn, users, actor.id, what="user")
    if not row.totp_enabled:
        return
    _check_throttle(conn, actor.id, now=now, address=address)
    _use_code(conn, row, otp, now=now)


@contextmanager
def recording_otp_failures(
    db: Database, user_id: str, *, now: datetime, address: str | None = None
) -> Iterator[None]:
    """Wrap a transaction that checks a code: the attempt is recorded first, as a failure, in
    a transaction of its own, so concurrent guesses see each other (login_throttle); a bad or
    refused code leaves it so and is audited, anything else takes it back.

    with recording_otp_failures(db, actor.id, now=now), db.write() as conn: ...
    """
    key = throttle_key(user_id)
    attempt = login_throttle.open_attempt(db, email=key, address=address or "-", now=now)
    token = _attempt.set(attempt)
    try:
        yield
    except (Unauthenticated, TooManyAttempts) as failure:
        if failure.code not in ("bad_otp", "too_many_attempts"):
            login_throttle.forget(db, attempt)
            raise
        with db.write() as conn:
            audit(
                conn,
                "2fa.code_refused",
                now=now,
                actor_id=user_id,
                address=address,
                reason=failure.code,
            )
        raise
    except BaseException:
        login_throttle.forget(db, attempt)
        raise
    else:
        login_throttle.forget(db, attempt)
    finally:
        _attempt.reset(token)


# ---- turning 2FA on and off ---------------------------------------------------------------


def enable_2fa(
    conn: Connection, actor: Actor, proof: PasswordProof, *, now: datetime
) -> dict[str, str]:
    """A new secret, pending until a code from it is confirmed. Needs the password (`proof`):
    with a token alone, 2FA turned on by someone else would lock the owner out."""
    row = fetch_for_update(conn, users, actor.id, what="user")
    proof.check(row)
    if row.totp_enabled:
        raise Conflict("two-factor authentication is already on; disable it first")
    secret = pyotp.random_base32()
    conn.execute(
        update(users)
        .where(users.c.id == actor.id)
        .values(totp_secret=box_for(conn, BOX_PURPOSE).seal(secret), totp_last_step=None)
    )
    audit(conn, "2fa.enable_started", now=now, actor_id=actor.id)
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=row.email, issuer_name=ISSUER
    )
    return {"secret": secret, "otpauth_uri": uri}


def confirm_2fa(conn: Connection, actor: Actor, otp: str, *, now: datetime) -> dict[str, Any]:
    row = fetch_for_update(conn, users, actor.id, what="user")
    if row.totp_enabled:
        raise Conflict("two-factor authentication is already on")
    if row.totp_secret is None:
        raise Conflict("nothing to confirm: start with POST /v1/auth/2fa/enable")
    _check_throttle(conn, actor.id, now=now)
    _use_code(conn, row, otp, now=now)
    conn.execute(update(users).where(users.c.id == actor.id).values(totp_enabled=True))
    audit(conn, "2fa.enabled", now=now, actor_id=actor.id)
    return record_user_change(conn, actor.id, now=now)


def disable_2fa(conn: Connection, actor: Actor, otp: str, *, now: datetime) -> dict[str, Any]:
    row = fetch_for_update(conn, users, actor.id, what="user")
    if not row.totp_enabled:
        raise Conflict("two-factor authentication is not on")
    _check_throttle(conn, actor.id, now=now)
    _use_code(conn, row, otp, now=now)
    conn.execute(
        update(users)
        .where(users.c.id == actor.id)
        .values(totp_enabled=False, totp_secret=None, totp_last_step=None)
    )
    audit(conn, "2fa.disabled", now=now, actor_id=actor.id)
    return record_user_change(conn, actor.id, now=now)
