"""Sign-in throttling (ASVS 2.2.1): failures in the last hour, counted per (account, address)
and per address — never per account alone, so that nobody's failures but the owner's own can
keep an owner out (issue 9: ~100 requests from anywhere locked any account for an hour).

After `free` failures an attempt must wait min(2**(failures - free), 60) seconds after the
last one: 5 for one account from one address (`PAIR`), 20 for all accounts from one address
(`ADDRESS`). The wait is required, not slept: an early attempt is refused with 429 and
Retry-After and is *not* counted (`forget`: nothing was checked), so an attacker slows only
themselves, and hammering costs no one else a thing. A right password clears the failures
of its own (account, address) (`mark_success`), not the address's others (or an attacker
could clear their address by signing in to an account of their own). An account's key
counted from every address (`check_allowed`) serves only a signed-in user's one-time codes,
where the caller already holds the account's token. Registrations are counted by address,
whatever their outcome, `per_hour` in a sliding hour (`check_registration`).

Atomic across threads, processes and hosts without a lock: an attempt is first recorded, as
a failure, in a transaction of its own (`open_attempt`); only after that commit does it count
the others' (`attempt_id=...`). Of two concurrent attempts the later committer therefore sees
the earlier, so of any number sent at once at most `free` pass the check (a refused one takes
its row back, but only a passing one's row is needed for that bound), and the password is
verified outside any transaction (Argon2 under a lock would queue every sign-in of the server
behind it). "Address" is the peer's, or what a proxy named in `--forwarded-allow-ips` says it
is (uvicorn's proxy headers); `X-Forwarded-For` from anyone else is not believed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update

from jiedan_cli.domain.errors import TooManyAttempts
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import login_attempts

WINDOW = timedelta(hours=1)
MAX_WAIT_SECONDS = 60
REGISTRATION_KEY = "register:"  # no e-mail address looks like it


@dataclass(frozen=True)
class Limit:
    free: int  # attempts in the window that need no wait
    per_hour: int | None = None  # attempts in the window after which the oldest must expire


PAIR = Limit(free=5)  # one account from one address
ADDRESS = Limit(free=20)  # every account from one address
KEY = Limit(free=5)  # one key (`totp:<user id>`) from every address
FREE_FAILURES = PAIR.free


def required_wait(failures: int, free: int = FREE_FAILURES) -> int:
    """Seconds a new attempt must wait after the last failure, given `failures` so far."""
    if failures < free:
        return 0
    return int(min(2 ** (failures - free), MAX_WAIT_SECONDS))


# ---- recording ----------------------------------------------------------------------------


def open_attempt(db: Database, *, email: str, address: str, now: datetime) -> int:
    """Record an attempt (`email`: its key) as a failure and commit it, before anything is
    checked; its id."""
    with db.write() as conn:
        recorded = conn.execute(
            insert(login_attempts)
            .values(email=email[:320], address=address[:64], success=False, at=now)
            .returning(login_attempts.c.id)
        )
        return int(recorded.scalar_one())


def mark_success(conn: Connection, attempt_id: int) -> None:
    """The attempt succeeded: it and its own (key, address)'s earlier failures stop counting."""
    row = conn.execute(
        select(login_attempts.c.email, login_attempts.c.address).where(
            login_attempts.c.id == attempt_id
        )
    ).first()
    if row is None:
        return
    conn.execute(
        delete(login_attempts).where(
            login_attempts.c.email == row.email,
            login_attempts.c.address == row.address,
            login_attempts.c.success.is_(False),
            login_attempts.c.id < attempt_id,
        )
    )
    mark_passed(conn, attempt_id)


def mark_passed(conn: Connection, attempt_id: int) -> None:
    """The attempt is no failure (a registration still counts towards its address's cap)."""
    conn.execute(
        update(login_attempts).where(login_attempts.c.id == attempt_id).values(success=True)
    )


def forget(db: Database, attempt_id: int) -> None:
    """Take back an attempt that checked nothing: refused by the throttle, or no code asked."""
    with db.write() as conn:
        conn.execute(delete(login_attempts).where(login_attempts.c.id == attempt_id))


# ---- checking -----------------------------------------------------------------------------


def check_sign_in(
    conn: Connection, *, email: str, address: str, now: datetime, attempt_id: int
) -> None:
    """Raise TooManyAttempts when this account from this address, or this address, must wait."""
    pair = (login_attempts.c.email == email[:320]) & (login_attempts.c.address == address[:64])
    _check(conn, [(pair, PAIR), (_address(address), ADDRESS)], now, attempt_id)


def check_allowed(
    conn: Connection,
    *,
    email: str,
    address: str | None,
    now: datetime,
    attempt_id: int | None = None,
) -> None:
    """Raise TooManyAttempts when the key `email` (from any address) or the address must not
    try now; `address=None` checks the key only. `attempt_id`: this attempt's own committed
    row (`open_attempt`), not counted against it."""
    checks = [(login_attempts.c.email == email[:320], KEY)]
    if address is not None:
        checks.append((_address(address), ADDRESS))
    _check(conn, checks, now, attempt_id)


def check_registration(
    conn: Connection, *, address: str, per_hour: int, now: datetime, attempt_id: int
) -> None:
    """Raise TooManyAttempts when `address` has registered (or tried to) `per_hour` times in
    the last hour; the failures counted against the address apply too."""
    mine = (login_attempts.c.email == REGISTRATION_KEY) & _address(address)
    limit = Limit(free=per_hour, per_hour=per_hour)
    _check(conn, [(mine, limit), (_address(address), ADDRESS)], now, attempt_id)


def _address(address: str) -> ColumnElement[bool]:
    return login_attempts.c.address == address[:64]


def _check(
    conn: Connection,
    checks: list[tuple[ColumnElement[bool], Limit]],
    now: datetime,
    attempt_id: int | None,
) -> None:
    for where, limit in checks:
        others = where if attempt_id is None else where & (login_attempts.c.id != attempt_id)
        wait = _seconds_to_wait(conn, others, limit, now)
        if wait > 0:
            raise TooManyAttempts(f"too many attempts; try again in {wait} s", retry_after=wait)


def _seconds_to_wait(
    conn: Connection, where: ColumnElement[bool], limit: Limit, now: datetime
) -> int:
    # A capped count (registrations) counts every attempt; a backoff counts failures.
    counted = [where, login_attempts.c.at > now - WINDOW]
    if limit.per_hour is None:
        counted.append(login_attempts.c.success.is_(False))
    count, last = conn.execute(
        select(func.count(), func.max(login_attempts.c.at)).where(*counted)
    ).one()
    if limit.per_hour is not None and count >= limit.per_hour:
        # Allowed again once enough of the oldest have left the window.
        expiring: datetime = conn.execute(
            select(login_attempts.c.at)
            .where(*counted)
            .order_by(login_attempts.c.at)
            .offset(count - limit.per_hour)
            .limit(1)
        ).scalar_one()
        return _ceil_seconds(expiring + WINDOW - now)
    wait = required_wait(count, limit.free)
    if wait == 0 or last is None:
        return 0
    ready_at = last + timedelta(seconds=wait)
    return _ceil_seconds(ready_at - now) if ready_at > now else 0


def _ceil_seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
