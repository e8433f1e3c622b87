"""Hot statements sent straight to the driver's cursor (#8 P6).

Through SQLAlchemy a statement of a bid costs ≈ 60–100 µs of CPU beyond SQLite's own work:
its cache key built and looked up, an execution context, binds processed by walking the
compiled statement, a result built for one row. A `DriverStatement` is compiled once per
dialect (and set of INSERT columns); each run processes its binds with their types'
processors, executes on the driver's cursor of the connection's transaction, and gives its
rows as named tuples with the columns' result processors applied (times, JSON): what
`Row` gives by attribute. The engine's `before_cursor_execute` listeners are called as
SQLAlchemy calls them (the auth cache's watcher, every statement counter), and driver
errors are wrapped as SQLAlchemy wraps them (an IntegrityError stays one). For the few
statements every bid sends; the rest keep SQLAlchemy, whose cost is spread thin."""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.sql import Executable


@dataclass
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # qmark order (SQLite); None: named (PostgreSQL)
    constants: dict[str, Any]
    processors: dict[str, Callable[[Any], Any]]
    row: Any  # the named tuple of the result's columns
    types: tuple[Any, ...]  # theirs, for dialect
    dialect: Dialect
    # the columns' result processors, made at the first run: PostgreSQL's ask the type
    # the driver reports (cursor.description)
    results: tuple[Callable[[Any], Any] | None, ...] | None = None

    def processors_for(self, description: Any) -> tuple[Callable[[Any], Any] | None, ...]:
        if self.results is None:
            self.results = tuple(
                kind.dialect_impl(self.dialect).result_processor(self.dialect, column[1])
                for kind, column in zip(self.types, description, strict=True)
            )
        return self.results


class DriverStatement:
    """`statement` run on the driver's cursor; `columns`: for an INSERT, the keys of the
    values each run gives (compiled for those)."""

    def __init__(self, statement: Executable, *, columns: Iterable[str] | None = None) -> None:
        self.statement = statement
        self.columns = list(columns) if columns is not None else None
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, conn: Connection, params: dict[str, Any]) -> list[Any]:
        compiled = self._compiled.get(conn.dialect.name) or self._compile(conn.dialect)
        values = dict(compiled.constants)
        for name, value in params.items():
            process = compiled.processors.get(name)
            values[name] = value if process is None or value is None else process(value)
        args: Any = values
        if compiled.positions is not None:
            args = tuple(values[name] for name in compiled.positions)
        error = conn.dialect.loaded_dbapi.Error
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            conn.dispatch.before_cursor_execute(conn, cursor, compiled.sql, args, None, False)
            cursor.execute(compiled.sql, args)
            description = cursor.description
            found = cursor.fetchall() if description is not None else []
        except error as exc:
            raise DBAPIError.instance(compiled.sql, args, exc, error) from exc
        finally:
            cursor.close()
        if not found:
            return []
        make, results = compiled.row._make, compiled.processors_for(description)
        return [
            make(
                value if process is None else process(value)
                for process, value in zip(results, row, strict=True)
            )
            for row in found
        ]

    def first(self, conn: Connection, params: dict[str, Any]) -> Any | None:
        found = self.rows(conn, params)
        return found[0] if found else None

    def one(self, conn: Connection, params: dict[str, Any]) -> Any:
        found = self.rows(conn, params)
        if len(found) != 1:
            raise NoResultFound(f"{len(found)} rows where one was expected")
        return found[0]

    def _compile(self, dialect: Dialect) -> _Compiled:
        with self._lock:
            if dialect.name not in self._compiled:
                self._compiled[dialect.name] = _compile(self.statement, dialect, self.columns)
            return self._compiled[dialect.name]


def _compile(statement: Any, dialect: Dialect, columns: list[str] | None) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=columns)
    processors: dict[str, Callable[[Any], Any]] = {}
    constants: dict[str, Any] = {}  # the statement's own values, processed once
    for bound, name in compiled.bind_names.items():  # each bind as the SQL names it
        process = bound.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
        if not bound.required and (bound.value is not None or bound.callable is not None):
            value = bound.effective_value
            constants[name] = value if process is None or value is None else process(value)
    exported = list(statement.exported_columns)
    return _Compiled(
        sql=compiled.string,
        positions=tuple(compiled.positiontup) if compiled.positional else None,
        constants=constants,
        processors=processors,
        row=namedtuple("Row", [str(column.key) for column in exported]),
        types=tuple(column.type for column in exported),
        dialect=dialect,
    )
