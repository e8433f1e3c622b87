"""Which accounts are used on which install and from which address (#12), for the risk
engine's linked-account facts (`domain/risk.Facts.accounts_on_device` / `accounts_on_address`).

The client sends a random install id it keeps in its data dir (`X-Jiedan-Install`, made by
`sync/install.py`); a request without one, or with one not 8–64 characters of [A-Za-z0-9-],
is recorded as no device ("") — from its address only — and is never refused for it. The id is
the client's word, not proof: it links the accounts of an honest install, and anyone may send
another's id or none, so a link raises a risk score and decides nothing alone.

One row per (account, install, address) with the address's network (`network_of`: the risk
engine's "region" for unfamiliar_location), first and last seen, written by an upsert (`INSERT …
ON CONFLICT DO UPDATE`, on SQLite and PostgreSQL alike). Sign-in and registration record it in
their own transaction (`record_link`); a sync records it after the answer (`note_link`), at
most once per LINK_EVERY a row — each process remembers when it last did so, and the update is
conditional on the row's last_seen_at — so a sync every few seconds costs one write a process
per LINK_EVERY, not one a request (as `sessions.note_seen`)."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    func,
    literal,
    select,
)

from jiedan_cli.domain.risk import RiskLimits
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.conflicts import insert_for
from jiedan_cli.server.db.tables import account_devices
from jiedan_cli.server.db.types import UTCDateTime
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
    statement = insert_for(conn, account_devices).values(
        user_id=user_id,
        device_id=device_id,
        address=address[:_ADDRESS_MAX],
        network=network_of(address),
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
# Expressions over bound parameters (SQLAlchemy bindparams), for a caller's statement built
# once: the risk engine's facts statement (services/risk_facts.py) puts them in its SELECT.


@lru_cache(maxsize=4096)  # every assessed action asks; ipaddress is slow to parse
def network_of(address: str) -> str:
    """The network an address belongs to, the risk engine's "region" without a geo database:
    the /16 of an IPv4 address, the /32 of an IPv6 one (an IPv4-mapped IPv6 address as IPv4);
    "" for no address or one that is not an IP address (a test client's "testclient")."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 16 if ip.version == 4 else 32
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def linked_count_columns(
    user_id: Any, device_id: Any, address: Any, since: Any
) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """(accounts_on_device, accounts_on_address) as two scalar expressions over the given
    expressions (bindparams): the distinct accounts seen on this install and from this address
    since `since`, this one included whether or not it was seen (so never less than 1). No
    install id (NO_DEVICE) or no address counts this account alone: a client that sends none
    is not linked to every other that sends none."""
    return (
        _accounts(user_id, account_devices.c.device_id, device_id, since),
        _accounts(user_id, account_devices.c.address, address, since),
    )


def _accounts(user_id: Any, column: Any, value: Any, since: Any) -> ColumnElement[int]:
    others = (
        select(func.count(func.distinct(account_devices.c.user_id)))
        .where(
            value != "",  # a constant: false for no value, tested once before the index scan
            column == value,
            account_devices.c.last_seen_at >= since,
            account_devices.c.user_id != user_id,
        )
        .scalar_subquery()
    )
    return literal(1) + others


def _shared_installs(user_id: Any, other_id: Any, since: Any | None) -> Select[tuple[str]]:
    """The (mine, theirs) pairs of rows of the two accounts on one install id (not NO_DEVICE),
    both seen since `since` (None: ever). An address is no link here: an office, a campus or a
    网吧 puts many honest people behind one (the weaker `shared_address` rule's business)."""
    mine, theirs = account_devices.alias("mine"), account_devices.alias("theirs")
    query = (
        select(mine.c.device_id)
        .select_from(mine.join(theirs, mine.c.device_id == theirs.c.device_id))
        .where(
            mine.c.user_id == user_id, mine.c.device_id != NO_DEVICE, theirs.c.user_id == other_id
        )
    )
    if since is not None:
        query = query.where(mine.c.last_seen_at >= since, theirs.c.last_seen_at >= since)
    return query


def link_since(now: datetime, limits: RiskLimits | None = None) -> datetime:
    """The start of the link window (domain/risk.RiskLimits.link_window) ending `now`."""
    return now - (limits or RiskLimits()).link_window


def counterpart_linked_column(user_id: Any, counterpart_id: Any, since: Any) -> ColumnElement[bool]:
    """Whether the two accounts were seen on one install since `since`, as an EXISTS: the risk
    engine's counterpart_linked, and the link that flags a review or withholds a referral."""
    return _shared_installs(user_id, counterpart_id, since).exists()


def shared_installs_column(user_id: Any, other_id: Any, since: Any) -> ColumnElement[int]:
    """How many install ids both accounts were seen on since `since`, as a scalar subquery (the
    ids may be columns of the caller's statement): what a reviewer is shown."""
    shared = _shared_installs(user_id, other_id, since).subquery()
    return select(func.count(func.distinct(shared.c.device_id))).scalar_subquery()


def share_an_install(
    conn: Connection, user_id: str, other_id: str, *, since: datetime | None
) -> bool:
    """Whether the two accounts were seen on one install id since `since` (None: ever)."""
    if user_id == other_id:
        return False
    return bool(conn.scalar(select(_shared_installs(user_id, other_id, since).exists())))


def unfamiliar_network_column(user_id: Any, network: Any, since: Any) -> ColumnElement[bool]:
    """Whether `network` (`network_of` the request's address) was not seen for this account
    since `since` while the account was seen on some network before (no history: not
    unfamiliar; no network: not unfamiliar). Both EXISTS read the account's own rows (the
    primary key's user_id prefix): a handful."""
    mine = account_devices.c
    seen_before = select(literal(1)).where(mine.user_id == user_id, mine.network != "").exists()
    seen_here = (
        select(literal(1))
        .where(mine.user_id == user_id, mine.network == network, mine.last_seen_at >= since)
        .exists()
    )
    return and_(network != "", seen_before, ~seen_here)


USER, DEVICE, ADDRESS, SINCE = (
    bindparam("user_id", type_=String),
    bindparam("device_id", type_=String),
    bindparam("address", type_=String),
    bindparam("since", type_=UTCDateTime),
)
_LINKED_COUNTS = select(*linked_count_columns(USER, DEVICE, ADDRESS, SINCE))


def linked_counts(
    conn: Connection, user_id: str, device_id: str, address: str, since: datetime
) -> tuple[int, int]:
    """(accounts_on_device, accounts_on_address) since `since` (`linked_count_columns`)."""
    params = {
        "user_id": user_id,
        "device_id": device_id,
        "address": address[:_ADDRESS_MAX],
        "since": since,
    }
    row = conn.execute(_LINKED_COUNTS, params).one()
    return int(row[0]), int(row[1])


def shares_an_install_with_any(conn: Connection, user_id: str, others: Any) -> bool:
    """Whether the account was ever seen on an install id (not NO_DEVICE) that one of `others`
    (a select of user ids) was seen on too: share_an_install against a whole set at once, in
    one EXISTS over the install index."""
    mine, theirs = account_devices.alias("mine"), account_devices.alias("theirs")
    query = (
        select(literal(1))
        .select_from(mine.join(theirs, mine.c.device_id == theirs.c.device_id))
        .where(
            mine.c.user_id == user_id,
            mine.c.device_id != NO_DEVICE,
            theirs.c.user_id != user_id,
            theirs.c.user_id.in_(others),
        )
    )
    return bool(conn.scalar(select(query.exists())))
