"""Sign-in throttling (ASVS 2.2.1): per account and per address, failures in the last hour.

After 5 failures an attempt must wait min(2**(failures-5), 60) seconds after the last
failure; the 101st failure within an hour is refused outright. The wait is required, not
slept: an early attempt is refused with 429 and Retry-After, and is itself recorded as a
failure, so a client that honours Retry-After is never refused while one that hammers
locks itself out. A successful sign-in clears the account's count (not the address's, or an
attacker could clear their address by signing in to an account of their own).

Atomic across threads, processes and hosts without a lock: an attempt is first recorded, as
a failure, in a transaction of its own (`open_attempt`); only after that commit does it count
the others' (`check_allowed(..., attempt_id=...)`). Of two concurrent attempts the later
committer therefore sees the earlier, so of any number sent at once at most FREE_FAILURES
pass the check, and the password is verified outside any transaction (Argon2 under a lock
would queue every sign-in of the server behind it). A right password then marks its row a
success (`mark_success`); a check that never happened is taken back (`forget`)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update

from jiedan_cli.domain.errors import TooManyAttempts
from jiedan_cli.server.db import Database
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


def open_attempt(db: Database, *, email: str, address: str, now: datetime) -> int:
    """Record an attempt as a failure and commit it, before anything is checked; its id."""
    with db.write() as conn:
        recorded = conn.execute(
            insert(login_attempts)
            .values(email=email[:320], address=address[:64], success=False, at=now)
            .returning(login_attempts.c.id)
        )
        return int(recorded.scalar_one())


def mark_success(conn: Connection, attempt_id: int) -> None:
    conn.execute(
        update(login_attempts).where(login_attempts.c.id == attempt_id).values(success=True)
    )


def forget(db: Database, attempt_id: int) -> None:
    """Take back an attempt that turned out to check nothing (no code was asked for)."""
    with db.write() as conn:
        conn.execute(delete(login_attempts).where(login_attempts.c.id == attempt_id))


def check_allowed(
    conn: Connection,
    *,
    email: str,
    address: str | None,
    now: datetime,
    attempt_id: int | None = None,
) -> None:
    """Raise TooManyAttempts when the account (`email`, or another key such as
    `totp:<user id>`) or the address must not try now. `address=None` checks the key only.
    `attempt_id`: this attempt's own committed row (`open_attempt`), not counted against it;
    without one, every recorded failure counts (the attempt is recorded after, if at all)."""
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
        others = where if attempt_id is None else where & (login_attempts.c.id != attempt_id)
        wait = _seconds_to_wait(conn, others, since, now)
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
        # this refused attempt, which is a failure too).
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
    # One more failure (this refused attempt) counts from now on: quote its wait.
    ready_at = last_failure + timedelta(seconds=wait)
    if ready_at <= now:
        return 0
    return required_wait(failures + 1)


def _ceil_seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
