"""Points expiry (积分过期, #13): points expire `months` calendar months after they were
earned (JIEDAN_SERVER_POINTS_EXPIRY_MONTHS), the oldest spent first (domain/points.points_lots:
a redemption uses the oldest points, so what it took never expires later). The expiry job
writes one `expired` entry per lot (`expired:<uuid5 of the lot's entry>`), of what the lot
still holds: once however often it runs, and never below zero (award_points' conditional
update refuses that)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from jiedan_cli.domain.points import (
    Lot,
    expired_entry_id,
    expired_lots,
    next_expiry,
    points_lots,
)
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import points_balances, points_entries
from jiedan_cli.server.services.points import award_points

EXPIRY_BATCH = 500


def lots_of(conn: Connection, user_id: str) -> list[Lot]:
    rows = conn.execute(
        select(points_entries.c.id, points_entries.c.amount, points_entries.c.created_at).where(
            points_entries.c.user_id == user_id
        )
    ).all()
    return points_lots((r.id, int(r.amount), r.created_at) for r in rows)


def users_with_old_points(
    conn: Connection, months: int, now: datetime, after: str = ""
) -> list[str]:
    """Users holding points with an entry old enough to have expired (a coarse filter: a
    month is at least 28 days; points_lots decides), after `after` in id order (a batch)."""
    cutoff = now - timedelta(days=28 * months)
    e, b = points_entries.c, points_balances.c
    return list(
        conn.execute(
            select(e.user_id)
            .join(points_balances, b.user_id == e.user_id)
            .where(e.amount > 0, e.created_at <= cutoff, b.balance > 0, e.user_id > after)
            .group_by(e.user_id)
            .order_by(e.user_id)
            .limit(EXPIRY_BATCH)
        ).scalars()
    )


def expire_points(conn: Connection, user_id: str, *, months: int, now: datetime) -> int:
    """Write the `expired` entries of `user_id`'s lots that expired by `now`; the points
    expired (0 when a run did it already)."""
    done = 0
    for lot in expired_lots(lots_of(conn, user_id), months, now):
        entry_id = expired_entry_id(lot.entry_id)
        if conn.scalar(select(points_entries.c.id).where(points_entries.c.id == entry_id)):
            continue  # written already (its lot holds nothing then: a race lost)
        award_points(
            conn,
            user_id=user_id,
            amount=-lot.remaining,
            kind="expired",
            entry_id=entry_id,
            now=now,
        )
        done += lot.remaining
    return done


def expiring(
    conn: Connection, user_id: str, *, months: int, now: datetime
) -> dict[str, Any] | None:
    """The next points to expire ({points, on, at}), or None."""
    soon = next_expiry(lots_of(conn, user_id), months, now)
    if soon is None:
        return None
    return {**soon, "at": rfc3339(soon["at"])}
