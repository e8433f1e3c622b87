"""The replica's one way to write: `transaction`, all or nothing, nesting as savepoints.
Standard library only (the read path's rule, tests/store/test_import_hygiene.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

_savepoints = count(1)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Commit everything inside the block together, or nothing.

    The outermost block takes the write lock at once (BEGIN IMMEDIATE), so it never fails
    half-way with SQLITE_BUSY on upgrading a read lock; an inner block becomes a savepoint
    of the caller's transaction — which is how an outbox row joins the caller's change."""
    if conn.in_transaction:
        name = f"sp_{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
            conn.execute(f"RELEASE SAVEPOINT {name}")
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
