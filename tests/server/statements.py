"""`Statements`: the SQL a database runs while recorded, in order — for the tests that count
what an operation sends (no stand-in: the engine's own `before_cursor_execute`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from jiedan_cli.server.db import Database


class Statements:
    """The SQL a database runs while recorded, in order, each with its whitespace collapsed
    and in lower case."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.seen: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.seen.append(" ".join(statement.split()).lower())

    def __enter__(self) -> list[str]:
        event.listen(self.db.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *_: Any) -> None:
        event.remove(self.db.engine, "before_cursor_execute", self._record)
