"""How an account is shown to its owner (`GET /v1/me`), and its entry in the owner's feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import users
from jiedan_cli.server.services.actors import parse_roles
from jiedan_cli.server.services.changes import Kind, publish, register


def user_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "email": row.email,
        "name": row.name,
        "roles": sorted(parse_roles(row.roles)),
        "totp_enabled": bool(row.totp_enabled),
        "verification": row.verification,
        "created_at": rfc3339(row.created_at),
    }


def user_row(conn: Connection, user_id: str) -> Row[Any]:
    return conn.execute(select(users).where(users.c.id == user_id)).one()


register(Kind.USER, view=user_view, audience=lambda row, _: (row.id,))


def record_user_change(conn: Connection, user_id: str, *, now: datetime) -> dict[str, Any]:
    """The owner's account as `GET /v1/me` shows it, published to them; returned."""
    row = user_row(conn, user_id)
    publish(conn, Kind.USER, row, now=now)
    return user_view(row)
