"""Which accounts are used on which install and from which address (#12), for the risk
engine's linked-account facts (`domain/risk.Facts.accounts_on_device` / `accounts_on_address`).

The client sends a random install id it keeps in its data dir (`X-Jiedan-Install`, made by
`sync/install.py`); a request without one, or with one not 8–64 characters of [A-Za-z0-9-],
is recorded as no device ("") — from its address only — and is never refused for it. The id is
the client's word, not proof: it links the accounts of an honest install, and anyone may send
another's id or none, so a link raises a risk score and decides nothing alone.

One row per (account, install, address), first and last seen, written by an upsert (`INSERT …
ON CONFLICT DO UPDATE`, on SQLite and PostgreSQL alike). Sign-in and registration record it in
their own transaction (`record_link`); a sync records it after the answer (`note_link`), at
most once per LINK_EVERY a row — each process remembers when it last did so, and the update is
conditional on the row's last_seen_at — so a sync every few seconds costs one write a process
per LINK_EVERY, not one a request (as `sessions.note_seen`)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import account_devices
from jiedan_cli.server.services.memo import AtMostEvery

INSTALL_HEADER = "X-Jiedan-Install"
NO_DEVICE = ""
LINK_EVERY = timedelta(minutes=10)
_INSTALL_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
_ADDRESS_MAX = 64  # as sessions.address


def install_id(header: str | None) -> str:
    """The install id a request carried, or NO_DEVICE when it sent none or a malformed one."""
    if header is None or not _INSTALL_ID.fullmatch(header):
        return NO_DEVICE
    return header


def record_link(
    conn: Connection, user_id: str, device_id: str, address: str, *, now: datetime
) -> None:
    """(user, install, address) seen `now`, in the caller's transaction (sign-in, register)."""
    _upsert(conn, user_id, device_id, address, now=now, unless_within=None)


# ---- after a sync ---------------------------------------------------------------------------

_noted = AtMostEvery(LINK_EVERY)  # by link: when this process last wrote it


def link_is_due(user_id: str, device_id: str, address: str, now: datetime) -> bool:
    """Whether this process should try to record the link (cheap, no I/O)."""
    return _noted.due((user_id, device_id, address[:_ADDRESS_MAX]), now)


def note_link(db: Database, user_id: str, device_id: str, address: str, now: datetime) -> None:
    """Record the link in a transaction of its own (after the answer: never in the request's),
    moving last_seen_at only if it has not moved within LINK_EVERY (by any process)."""
    with db.write() as conn:
        _upsert(conn, user_id, device_id, address, now=now, unless_within=LINK_EVERY)


def _upsert(
    conn: Connection,
    user_id: str,
    device_id: str,
    address: str,
    *,
    now: datetime,
    unless_within: timedelta | None,
) -> None:
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(account_devices).values(
        user_id=user_id,
        device_id=device_id,
        address=address[:_ADDRESS_MAX],
        first_seen_at=now,
        last_seen_at=now,
    )
    # last_seen_at only moves forward; for a sync, only once it is LINK_EVERY old.
    stale = now if unless_within is None else now - unless_within
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[
                account_devices.c.user_id,
                account_devices.c.device_id,
                account_devices.c.address,
            ],
            set_={"last_seen_at": statement.excluded.last_seen_at},
            where=account_devices.c.last_seen_at < stale,
        )
    )


# ---- for the risk engine --------------------------------------------------------------------


def linked_counts(
    conn: Connection, user_id: str, device_id: str, address: str, since: datetime
) -> tuple[int, int]:
    """(accounts_on_device, accounts_on_address): the distinct accounts seen on this install
    and from this address since `since`, this one included whether or not it was seen (so
    never less than 1). No install id (NO_DEVICE) or no address counts this account alone: a
    client that sends none is not linked to every other that sends none. One statement."""
    on_device, on_address = linked_count_columns(user_id, device_id, address, since)
    row = conn.execute(select(on_device, on_address)).one()
    return int(row[0]), int(row[1])


def linked_count_columns(
    user_id: str, device_id: str, address: str, since: datetime
) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """`linked_counts` as two scalar expressions, for a caller's own statement (the risk
    engine's facts read them in its one query)."""
    return (
        _accounts(user_id, account_devices.c.device_id, device_id, since),
        _accounts(user_id, account_devices.c.address, address[:_ADDRESS_MAX], since),
    )


def _accounts(user_id: str, column: Any, value: str, since: datetime) -> ColumnElement[int]:
    if not value:
        return literal(1)
    others = (
        select(func.count(func.distinct(account_devices.c.user_id)))
        .where(
            column == value,
            account_devices.c.last_seen_at >= since,
            account_devices.c.user_id != user_id,
        )
        .scalar_subquery()
    )
    return literal(1) + others


def counterpart_linked_column(
    user_id: str, counterpart_id: str, since: datetime
) -> ColumnElement[bool]:
    """Whether the two accounts were seen on one install (an id, not NO_DEVICE) or from one
    address since `since`, as an EXISTS for a caller's statement."""
    mine, theirs = account_devices.alias("mine"), account_devices.alias("theirs")
    shared = or_(
        and_(mine.c.device_id == theirs.c.device_id, mine.c.device_id != NO_DEVICE),
        and_(mine.c.address == theirs.c.address, mine.c.address != ""),
    )
    return (
        select(literal(1))
        .select_from(mine.join(theirs, shared))
        .where(
            mine.c.user_id == user_id,
            theirs.c.user_id == counterpart_id,
            mine.c.last_seen_at >= since,
            theirs.c.last_seen_at >= since,
        )
        .exists()
    )
