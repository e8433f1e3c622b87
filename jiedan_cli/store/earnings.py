"""The signed-in user's money as the replica knows it: ledger lines, the earnings summary,
points and tier — for `jiedan earnings …`, `jiedan points …` and the dashboard, offline.

The pull delivers the user's own ledger lines (the server's `entry_view`: signed amounts on
their accounts; a payout carries the fee withheld from it in `fee_fen`, as the fee itself goes
to platform:fees, which the user never sees), their points entries, and the milestones of
orders they work on. Everything here is computed from those, with the server's rules
(services/earnings.py, services/points.py), so online and offline answers agree."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jiedan_cli.domain.errors import Unauthenticated
from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.ledger import PAYOUT_KINDS, freelancer_available
from jiedan_cli.domain.money import CURRENCY
from jiedan_cli.domain.states import MILESTONE_HOLDING
from jiedan_cli.domain.tiers import TIER_WINDOW, standing
from jiedan_cli.domain.timefmt import rfc3339


def _me(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT user_id FROM sync_state WHERE id = 1").fetchone()
    if row is None or row[0] is None:
        raise Unauthenticated("not signed in: run `jiedan auth login` first")
    return str(row[0])


def _payloads(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return [json.loads(row[0]) for row in conn.execute(sql, params)]


def ledger_entries(conn: sqlite3.Connection, since: date | None = None) -> list[dict[str, Any]]:
    """The user's ledger lines, oldest first; from the start (UTC) of `since` when given."""
    _me(conn)
    start = f"{since.isoformat()}T00:00:00Z" if since is not None else ""
    entries = _payloads(
        conn,
        "SELECT data FROM ledger_entries WHERE created_at >= ? ORDER BY created_at, id",
        (start,),
    )
    for entry in entries:
        entry.setdefault("fee_fen", 0)  # lines pulled before the server sent fees
    return entries


def _is_payout(entry: dict[str, Any]) -> bool:
    """A line that pays the user for work: what counts as earned (domain/ledger.PAYOUT_KINDS)."""
    return entry.get("kind") in PAYOUT_KINDS and int(entry.get("amount_fen") or 0) > 0


def payouts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The lines that paid the user for work, oldest first."""
    available = freelancer_available(_me(conn))
    return [e for e in ledger_entries(conn) if e.get("account") == available and _is_payout(e)]


def earnings_by_month(conn: sqlite3.Connection, *, months: int = 12) -> list[tuple[str, int]]:
    """(YYYY-MM, fen earned) for the last `months` months from the first payout to the last;
    months without earnings in between are there with 0 (the chart shows the gap)."""
    totals: dict[str, int] = {}
    for entry in payouts(conn):
        month = str(entry.get("created_at") or "")[:7]
        totals[month] = totals.get(month, 0) + int(entry["amount_fen"])
    if not totals:
        return []
    return [(month, totals.get(month, 0)) for month in _months_between(min(totals), max(totals))][
        -months:
    ]


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    found = []
    while f"{year:04d}-{month:02d}" <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _held_for(conn: sqlite3.Connection, user_id: str) -> int:
    """Escrow held for the user's work: milestones still holding money on their orders."""
    milestones = _payloads(
        conn,
        "SELECT m.data FROM milestones m JOIN orders o ON o.id = m.order_id"
        " WHERE o.freelancer_id = ?",
        (user_id,),
    )
    holding = {str(s) for s in MILESTONE_HOLDING}
    return sum(int(m.get("amount_fen") or 0) for m in milestones if m.get("status") in holding)


def earnings_summary(conn: sqlite3.Connection) -> dict[str, Any]:
    """{available_fen, pending_fen, lifetime_fen, fees_fen, currency} (cli.md)."""
    me = _me(conn)
    available = freelancer_available(me)
    own = [e for e in ledger_entries(conn) if e.get("account") == available]
    payouts = [e for e in own if _is_payout(e)]
    return {
        "available_fen": sum(int(e["amount_fen"]) for e in own),
        "pending_fen": _held_for(conn, me),
        "lifetime_fen": sum(int(e["amount_fen"]) for e in payouts),
        "fees_fen": sum(int(e.get("fee_fen") or 0) for e in payouts),
        "currency": CURRENCY,
    }


# ---- points and tier ---------------------------------------------------------------------------


def points_history(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The user's points entries, newest first."""
    _me(conn)
    return _payloads(conn, "SELECT data FROM points_entries ORDER BY created_at DESC, id DESC")


def checkin_today(conn: sqlite3.Connection, *, now: datetime | None = None) -> dict[str, Any]:
    """Today's check-in as the replica sees it: {day, id, checked_in, streak, amount} — the
    streak and points it makes (or made), from my check-ins pulled or queued (not refused)."""
    from jiedan_cli.domain import points

    me = _me(conn)
    day = points.checkin_day(now or datetime.now(UTC))
    done = _checkin_days(conn, me, day)
    streak = points.checkin_streak(day, lambda d: d in done)
    return {
        "day": day.isoformat(),
        "id": points.checkin_entry_id(me, day),
        "checked_in": day in done,
        "streak": streak,
        "amount": points.points_for_checkin(streak),
    }


def checkin_calendar(
    conn: sqlite3.Connection, *, now: datetime | None = None, weeks: int = 4
) -> list[list[dict[str, Any]]]:
    """The last `weeks` weeks of check-ins as a grid for the streak calendar: one row a week
    (Monday first), oldest week first, each day {day, checked_in, future} on China's day
    (domain/points.checkin_day); this week's days after today are `future`."""
    from jiedan_cli.domain import points

    me = _me(conn)
    today = points.checkin_day(now or datetime.now(UTC))
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    done = _checkin_days(conn, me, today, back=(today - first).days + 1)
    grid = []
    for week in range(weeks):
        days = [first + timedelta(days=7 * week + n) for n in range(7)]
        grid.append(
            [
                {"day": day.isoformat(), "checked_in": day in done, "future": day > today}
                for day in days
            ]
        )
    return grid


def _checkin_days(
    conn: sqlite3.Connection, me: str, today: date, *, back: int | None = None
) -> set[date]:
    """The days up to `today`, `back` days or as far back as a streak reaches, with a
    check-in of mine pulled (its entry is here) or queued (and not refused)."""
    from jiedan_cli.domain.points import CHECKIN_STREAK_CAP, checkin_entry_id

    reach = back if back is not None else CHECKIN_STREAK_CAP + 2
    days = [today - timedelta(days=n) for n in range(reach)]
    by_id = {checkin_entry_id(me, day): day for day in days}
    marks = ", ".join("?" for _ in by_id)
    rows = conn.execute(f"SELECT id FROM points_entries WHERE id IN ({marks})", list(by_id))
    found = {by_id[row[0]] for row in rows}
    queued = conn.execute(
        "SELECT args FROM outbox WHERE intent = ? AND state != 'rejected'", (Intent.CHECK_IN,)
    )
    queued_days = (date.fromisoformat(json.loads(args)["day"]) for (args,) in queued)
    wanted = set(days)
    found.update(day for day in queued_days if day in wanted)
    return found


def completed_volume(conn: sqlite3.Connection, *, now: datetime | None = None) -> tuple[int, int]:
    """(gross fen paid for the user's work, orders paid) over the trailing year before `now`
    (all time when None). Gross = paid out plus the fee withheld, as the server counts it."""
    cutoff = rfc3339(now - TIER_WINDOW) if now is not None else None
    volume, orders = 0, set()
    for entry in payouts(conn):
        if cutoff is not None and str(entry.get("created_at") or "") < cutoff:
            continue
        volume += int(entry["amount_fen"]) + int(entry.get("fee_fen") or 0)
        orders.add(entry.get("order_id"))
    return volume, len(orders)


def points_balance(conn: sqlite3.Connection, *, now: datetime | None = None) -> dict[str, Any]:
    """{balance, tier, tier_label, next_tier, progress} as GET /v1/points gives it."""
    balance = sum(int(e.get("amount") or 0) for e in points_history(conn))
    volume, orders = completed_volume(conn, now=now or datetime.now(UTC))
    return standing(balance, volume, orders)
