"""Reading one row to change it: locked on PostgreSQL (SELECT … FOR UPDATE), so concurrent
state transitions on one order or milestone queue instead of racing. SQLite write
transactions are already exclusive (BEGIN IMMEDIATE)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Table, select

from jiedan_cli.domain.errors import NotFound


def fetch(conn: Connection, table: Table, row_id: str, *, what: str | None = None) -> Row[Any]:
    row = conn.execute(select(table).where(table.c.id == row_id)).first()
    if row is None:
        raise NotFound(f"no {what or table.name.rstrip('s')} {row_id}")
    return row


def fetch_for_update(
    conn: Connection, table: Table, row_id: str, *, what: str | None = None
) -> Row[Any]:
    query = select(table).where(table.c.id == row_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no {what or table.name.rstrip('s')} {row_id}")
    return row
