"""Bulk INSERTs sent straight to the driver (the seeder's rows and their change-log entries)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert

from jiedan_cli.server.db.types import UTCDateTime

CHUNK = 5000  # rows per executemany


def slices(rows: Sequence[dict[str, Any]], size: int = CHUNK) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _sqlite_time(value: datetime | None) -> str | None:
    """What UTCDateTime + SQLite's DATETIME store, without their two Python-level steps."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _bind_processor(column: Any, dialect: Any) -> Any:
    if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime):
        return _sqlite_time
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def insert_rows(conn: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """A bulk INSERT sent straight to the driver's executemany: the statement is compiled
    once and the column types' bind processors applied here, which is several times faster
    than letting SQLAlchemy build parameters row by row (100k orders in under a minute).
    Every row must have the same keys."""
    if not rows:
        return
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(rows[0]))
    names = list(compiled.positiontup or []) if compiled.positional else list(rows[0])
    processors = [(name, _bind_processor(table.c[name], dialect)) for name in names]

    def converted(row: dict[str, Any]) -> Any:
        values = [row[name] if fn is None else fn(row[name]) for name, fn in processors]
        return tuple(values) if compiled.positional else dict(zip(names, values, strict=True))

    for part in slices(rows):
        conn.exec_driver_sql(str(compiled), [converted(row) for row in part])
