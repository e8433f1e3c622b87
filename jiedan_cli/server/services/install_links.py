"""Whether two accounts were used on one install (#12, review integrity): read from
`account_devices` (written by `services/devices.py`), by the install id alone. An address is
no link here: an office, a campus or a 网吧 puts many honest people behind one, and a review
between two of them is nothing to hold. The risk engine weighs addresses on its own
(`devices.linked_counts`); this answers one yes/no question for one pair."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, func, literal, select

from jiedan_cli.domain.risk import RiskLimits
from jiedan_cli.server.db.tables import account_devices
from jiedan_cli.server.services.devices import NO_DEVICE


def link_since(now: datetime, limits: RiskLimits | None = None) -> datetime:
    """The start of the link window (domain/risk.RiskLimits.link_window) ending `now`."""
    return now - (limits or RiskLimits()).link_window


def shared_installs_column(
    user_id: str | ColumnElement[str], other_id: str | ColumnElement[str], since: datetime
) -> ColumnElement[int]:
    """How many install ids both accounts were seen on since `since`, as a scalar
    subquery (the ids may be columns of the caller's statement)."""
    mine, theirs = account_devices.alias("mine"), account_devices.alias("theirs")
    return (
        select(func.count(func.distinct(mine.c.device_id)))
        .select_from(mine.join(theirs, and_(mine.c.device_id == theirs.c.device_id)))
        .where(
            mine.c.user_id == user_id,
            theirs.c.user_id == other_id,
            mine.c.device_id != NO_DEVICE,
            mine.c.last_seen_at >= since,
            theirs.c.last_seen_at >= since,
        )
        .scalar_subquery()
    )


def share_an_install(conn: Connection, user_id: str, other_id: str, *, now: datetime) -> bool:
    """Whether the two accounts were seen on one install id within the link window."""
    if user_id == other_id:
        return False
    shared = shared_installs_column(user_id, other_id, link_since(now))
    return bool(conn.scalar(select(shared > literal(0))))
