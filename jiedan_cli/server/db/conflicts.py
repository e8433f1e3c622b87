"""`insert_for`: the INSERT of a connection's own dialect, the one that knows ON CONFLICT
(SQLite's and PostgreSQL's both spell it `on_conflict_do_nothing` / `on_conflict_do_update`;
SQLAlchemy's generic `insert` has neither)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(conn: Connection, table: Any) -> Any:
    """`INSERT INTO table` for `conn`'s database, with its ON CONFLICT clauses."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
