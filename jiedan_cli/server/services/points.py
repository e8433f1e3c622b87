"""Points (积分): their own small ledger — append-only entries, idempotent by entry id, a
balance that never goes negative — and the membership tier shown beside them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from jiedan_cli.domain.campaigns import points_multiplier
from jiedan_cli.domain.errors import Conflict, InvalidInput, Refused
from jiedan_cli.domain.ledger import PAYOUT_KINDS, freelancer_available
from jiedan_cli.domain.points import (
    CHECKIN_STREAK_CAP,
    check_checkin_day,
    checkin_day,
    checkin_entry_id,
    checkin_streak,
    points_for_checkin,
)
from jiedan_cli.domain.tiers import TIER_WINDOW, standing
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.conflicts import insert_for
from jiedan_cli.server.db.tables import ledger_transfers, points_balances, points_entries
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.changes import Kind, publish, register
from jiedan_cli.server.services.ledger import insert_or_ignore, insert_or_nothing
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows

# Transfers that pay a freelancer for work (their fee is part of the gross volume).


def entry_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "amount": row.amount,
        "kind": row.kind,
        "order_id": row.order_id,
        "created_at": rfc3339(row.created_at),
    }


register(Kind.POINTS_ENTRY, view=entry_view, audience=lambda row, _: (row.user_id,))


def award_points(
    conn: Connection,
    *,
    user_id: str,
    amount: int,
    kind: str,
    entry_id: str,
    now: datetime,
    order_id: str | None = None,
) -> dict[str, Any]:
    """Add (or, negative, spend) points once per `entry_id`; a repeat returns the first entry."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidInput("points: the amount must be a non-zero integer")
    claimed = insert_or_nothing(
        conn,
        points_entries,
        id=entry_id,
        user_id=user_id,
        amount=amount,
        kind=kind,
        order_id=order_id,
        created_at=now,
    )
    if claimed is None:
        row = conn.execute(select(points_entries).where(points_entries.c.id == entry_id)).one()
        if (row.user_id, row.amount, row.kind, row.order_id) != (user_id, amount, kind, order_id):
            raise Conflict(f"points entry {entry_id} exists with different fields")
        return entry_view(row)
    publish(conn, Kind.POINTS_ENTRY, claimed, now=now)
    _change_balance(conn, user_id, amount)
    return entry_view(claimed)


def _change_balance(conn: Connection, user_id: str, amount: int) -> None:
    """Add `amount` to the user's points: a credit in one upsert (the balance row made on
    first use); a debit only down to 0, or Refused."""
    balances = points_balances.c
    if amount > 0:
        credit = insert_for(conn, points_balances).values(user_id=user_id, balance=amount)
        conn.execute(
            credit.on_conflict_do_update(
                index_elements=[balances.user_id],
                set_={"balance": balances.balance + credit.excluded.balance},
            )
        )
        return
    insert_or_ignore(conn, points_balances, user_id=user_id, balance=0)
    done = conn.execute(
        update(points_balances)
        .where(balances.user_id == user_id, balances.balance + amount >= 0)
        .values(balance=balances.balance + amount)
    )
    if done.rowcount != 1:
        raise Refused("not enough points", code="insufficient_points")


def earn_points(
    conn: Connection,
    *,
    user_id: str,
    base: int,
    kind: str,
    entry_id: str,
    now: datetime,
    order_id: str | None = None,
) -> dict[str, Any]:
    """Points earned by an event at `now`: `base` times the running points campaign's
    multiplier (积分翻倍, domain/campaigns.py), once per `entry_id`. A repeat (a retried
    request, a replayed sync) answers the first entry, even if a campaign began or ended in
    between: what was earned is fixed at the first event."""
    from jiedan_cli.server.services.campaigns import running_campaigns

    existing = conn.execute(select(points_entries).where(points_entries.c.id == entry_id)).first()
    if existing is not None:
        return entry_view(existing)
    multiplier = points_multiplier(running_campaigns(conn, now), now)
    return award_points(
        conn,
        user_id=user_id,
        amount=base * multiplier,
        kind=kind,
        entry_id=entry_id,
        now=now,
        order_id=order_id,
    )


def completed_volume(conn: Connection, user_id: str, *, now: datetime | None) -> tuple[int, int]:
    """(gross fen released to `user_id`, orders they were paid for) over the trailing year
    before `now` (all time when `now` is None).

    Gross = what went to their available account plus the fee taken on the same milestones."""
    t = ledger_transfers.c
    query = select(t.milestone_id, t.order_id, t.amount_fen).where(
        t.destination == freelancer_available(user_id), t.kind.in_(PAYOUT_KINDS)
    )
    if now is not None:
        query = query.where(t.created_at >= now - TIER_WINDOW)
    paid = conn.execute(query).all()
    milestone_ids = [r.milestone_id for r in paid if r.milestone_id]
    fees = 0
    if milestone_ids:
        fees = int(
            conn.scalar(
                select(func.coalesce(func.sum(t.amount_fen), 0)).where(
                    t.kind == "fee", t.milestone_id.in_(milestone_ids)
                )
            )
            or 0
        )
    return sum(r.amount_fen for r in paid) + fees, len({r.order_id for r in paid})


def points_balance(
    conn: Connection, actor: Actor, *, now: datetime | None = None
) -> dict[str, Any]:
    """The balance and the membership tier (trailing year before `now`, else all time)."""
    balance = conn.scalar(
        select(points_balances.c.balance).where(points_balances.c.user_id == actor.id)
    )
    volume, orders = completed_volume(conn, actor.id, now=now)
    return standing(int(balance or 0), volume, orders)


def points_history(conn: Connection, actor: Actor, page: PageRequest | None = None) -> Page:
    """The caller's points entries, newest first."""
    query = select(points_entries).where(points_entries.c.user_id == actor.id)
    key = (points_entries.c.created_at, points_entries.c.id)
    rows, cursor = keyset_rows(conn, query, key, page, newest_first=True)
    return Page([entry_view(r) for r in rows], cursor)


def check_in(
    conn: Connection, actor: Actor, *, now: datetime, day: date | None = None
) -> dict[str, Any]:
    """The daily check-in (签到) for `day` (today in China; yesterday when made offline then):
    points for the streak it makes, once a day — a repeat answers the first entry."""
    day = check_checkin_day(day or checkin_day(now), checkin_day(now))
    back = range(1, CHECKIN_STREAK_CAP + 1)
    earlier = {checkin_entry_id(actor.id, day - timedelta(days=n)): n for n in back}
    found = conn.execute(
        select(points_entries.c.id).where(points_entries.c.id.in_(list(earlier)))
    ).scalars()
    days_back = {earlier[entry] for entry in found}
    streak = checkin_streak(day, lambda d: (day - d).days in days_back)
    entry_id = checkin_entry_id(actor.id, day)
    existing = conn.execute(select(points_entries).where(points_entries.c.id == entry_id)).first()
    if existing is not None:  # checked in already (another device, a retried sync)
        entry = entry_view(existing)
    else:
        entry = earn_points(
            conn,
            user_id=actor.id,
            base=points_for_checkin(streak),
            kind="checkin",
            entry_id=entry_id,
            now=now,
        )
    return {**entry, "day": day.isoformat(), "streak": streak}
