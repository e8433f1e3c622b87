"""Sign-in throttling (ASVS 2.2.1): per account and per address, failures in the last hour.

After 5 failures an attempt must wait min(2**(failures-5), 60) seconds after the last
failure; the 101st failure within an hour is refused outright. The wait is required, not
slept: an early attempt is refused with 429 and Retry-After, and is itself recorded as a
failure, so a client that honours Retry-After is never refused while one that hammers
locks itself out. A successful sign-in clears the account's count (not the address's, or an
attacker could clear their address by signing in to an account of their own)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, func, insert, select

from jiedan_cli.domain.errors import TooManyAttempts
from jiedan_cli.server.db.tables import login_attempts

WINDOW = timedelta(hours=1)
HARD_LIMIT = 100
FREE_FAILURES = 5
MAX_WAIT_SECONDS = 60


def required_wait(failures: int) -> int:
    """Seconds a new attempt must wait after the last failure, given `failures` so far."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(2 ** (failures - FREE_FAILURES), MAX_WAIT_SECONDS))


def record_attempt(
    conn: Connection, *, email: str, address: str, success: bool, now: datetime
) -> None:
    conn.execute(
        insert(login_attempts).values(
            email=email[:320], address=address[:64], success=success, at=now
        )
    )


def check_allowed(conn: Connection, *, email: str, address: str | None, now: datetime) -> None:
    """Raise TooManyAttempts when the account (`email`, or another key such as
    `totp:<user id>`) or the address must not try now. `address=None` checks the key only."""
    last_success = conn.scalar(
        select(func.max(login_attempts.c.at)).where(
            login_attempts.c.email == email[:320], login_attempts.c.success.is_(True)
        )
    )
    account_since = max(now - WINDOW, last_success) if last_success else now - WINDOW
    checks: list[tuple[ColumnElement[bool], datetime]] = [
        (login_attempts.c.email == email[:320], account_since)
    ]
    if address is not None:
        checks.append((login_attempts.c.address == address[:64], now - WINDOW))
    for where, since in checks:
        wait = _seconds_to_wait(conn, where, since, now)
        if wait > 0:
            raise TooManyAttempts(
                f"too many failed sign-ins; try again in {wait} s", retry_after=wait
            )


def _seconds_to_wait(
    conn: Connection, where: ColumnElement[bool], since: datetime, now: datetime
) -> int:
    failed = (where, login_attempts.c.success.is_(False), login_attempts.c.at > since)
    failures, last_failure = conn.execute(
        select(func.count(), func.max(login_attempts.c.at)).where(*failed)
    ).one()
    if failures >= HARD_LIMIT:
        # Allowed again once enough of the oldest failures have left the window (counting
        # this refused attempt, which is about to be recorded too).
        expiring: datetime = conn.execute(
            select(login_attempts.c.at)
            .where(*failed)
            .order_by(login_attempts.c.at)
            .offset(failures + 1 - HARD_LIMIT)
            .limit(1)
        ).scalar_one()
        return _ceil_seconds(expiring + WINDOW - now)
    wait = required_wait(failures)
    if wait == 0 or last_failure is None:
        return 0
    # One more failure (this refused attempt) is about to be recorded: quote its wait.
    ready_at = last_failure + timedelta(seconds=wait)
    if ready_at <= now:
        return 0
    return required_wait(failures + 1)


def _ceil_seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
