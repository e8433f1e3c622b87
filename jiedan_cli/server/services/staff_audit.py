"""Reading the audit log (admins), and recording refused staff actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, Text, cast, or_, select

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import audit_log, sessions
from jiedan_cli.server.services.actors import Actor, hash_token

PAGE_MAX = 200
_CURSOR = re.compile(r"[0-9]{1,18}")


def audit_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": rfc3339(row.at),
        "actor_id": row.actor_id,
        "action": row.action,
        "target": row.target,
        "address": row.address,
        "detail": row.detail,
    }


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive one is taken as UTC. An offset that pushes it past year 1 or
    9999 is bad input, not a server failure."""
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        raise InvalidInput("since: out of range", field="since") from None


def read_audit(
    conn: Connection,
    admin: Actor,
    *,
    action: str | None = None,
    actor_id: str | None = None,
    target: str | None = None,
    user_id: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Newest first: {items, next_cursor}; `action` may end in '*' for a prefix."""
    admin.require("admin")
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(f"limit: 1 to {PAGE_MAX}", field="limit")
    log = audit_log.c
    query = select(audit_log)
    if action:
        if action.endswith("*"):
            query = query.where(log.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(log.action == action)
    if actor_id:
        query = query.where(log.actor_id == actor_id)
    if target:
        query = query.where(log.target == target)
    if user_id:  # by them, about them, or about something of theirs (a hold names its user)
        query = query.where(
            or_(
                log.actor_id == user_id,
                log.target == user_id,
                cast(log.detail, Text).contains(f'"user_id":"{user_id}"', autoescape=True),
            )
        )
    if since is not None:
        query = query.where(log.at >= _utc(since))
    if cursor is not None:
        # ASCII digits only ("²".isdigit() is true) and within a BIGINT.
        if not _CURSOR.fullmatch(cursor):
            raise InvalidInput("cursor: not a cursor from this listing", field="cursor")
        query = query.where(log.id < int(cursor))
    rows = conn.execute(query.order_by(log.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [audit_view(r) for r in rows],
        "next_cursor": str(rows[-1].id) if more else None,
    }


def user_id_for_token(conn: Connection, token: str) -> str | None:
    """Whose session `token` is, whatever its state: the actor a refusal is recorded under."""
    return conn.scalar(select(sessions.c.user_id).where(sessions.c.token_hash == hash_token(token)))
