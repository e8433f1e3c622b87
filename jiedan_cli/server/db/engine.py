"""One handle on the server database, for SQLite and PostgreSQL alike.

Write transactions on SQLite start with BEGIN IMMEDIATE, so two writers queue on the busy
timeout instead of failing on a lock upgrade. Transient failures (locked, deadlock,
serialisation) surface as TemporaryFailure, which the API answers with 503 + Retry-After.

On SQLite, writes that queue for the one writer can share a transaction (`write_group`: group
commit): each caller's `write` is then a savepoint of the group's transaction, committed
with the others'.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from jiedan_cli.domain.errors import TemporaryFailure

# Pooled SQLite connections kept open, and as many again opened at a peak: together the 40
# request threads of anyio's default limiter, so a busy server does not open and close a
# connection (4 PRAGMAs each) per request.
SQLITE_POOL_SIZE = 20
WRITE_WAIT_SECONDS = 30  # as long as SQLite's busy timeout
CHECKPOINT_SECONDS = 0.2
_PG_TRANSIENT = {"40001", "40P01", "55P03", "57014"}  # serialization, deadlock, lock, cancel


_SCOPE = "jiedan_write_scope"
_BEGIN = {mode: f"BEGIN {mode}" for mode in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")}


@dataclass
class _WriteScope:
    """What one `Database.write` transaction carries besides its statements."""

    hooks: dict[str, Callable[[Connection], None]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    # deferred work: key → (its items, what flushes them), and per open savepoint (they
    # nest: a stack) the number of items each list held when it began
    queues: dict[str, tuple[list[Any], Callable[[Connection, list[Any]], None]]] = field(
        default_factory=dict
    )
    savepoints: list[dict[str, int]] = field(default_factory=list)

    def flush(self, conn: Connection) -> None:
        for hook in self.hooks.values():
            hook(conn)
        for items, flush in self.queues.values():
            flush(conn, items)

    def mark(self) -> None:
        self.savepoints.append({key: len(items) for key, (items, _) in self.queues.items()})

    def roll_back(self) -> None:
        marks = self.savepoints.pop()
        for key, (items, _) in self.queues.items():
            del items[marks.get(key, 0) :]


def before_commit(
    conn: Connection, key: str, hook: Callable[[Connection], None]
) -> dict[str, Any] | None:
    """Run `hook(conn)` once, just before this `Database.write` transaction commits, and
    give back the transaction's scratch dict for what the hook will need (the same dict for
    every call); None, and nothing registered, on a connection not of `Database.write`."""
    scope: _WriteScope | None = conn.info.get(_SCOPE)
    if scope is None:
        return None
    scope.hooks.setdefault(key, hook)
    return scope.state


def transaction_memo(conn: Connection) -> dict[str, Any] | None:
    """A dict that lives as long as this `Database.write` transaction, for what it reads
    more than once and does not change itself (the running campaigns of an accept: its fee
    and both parties' points); None, and nothing kept, on a connection not of
    `Database.write`. Its keys share the dict with `before_commit`'s state."""
    scope: _WriteScope | None = conn.info.get(_SCOPE)
    return None if scope is None else scope.state


def deferred(
    conn: Connection, key: str, flush: Callable[[Connection, list[Any]], None]
) -> list[Any] | None:
    """A list whose items this `Database.write` transaction hands to `flush(conn, items)`
    last of all — after every `before_commit` hook, just before the commit (the same list
    for every call with `key`). Items added inside a savepoint that rolls back are dropped
    with it. None, and nothing deferred, on a connection not of `Database.write`."""
    scope: _WriteScope | None = conn.info.get(_SCOPE)
    if scope is None:
        return None
    return scope.queues.setdefault(key, ([], flush))[0]


@contextmanager
def savepoint(conn: Connection) -> Iterator[Connection]:
    """A savepoint around the block, rolled back when the block raises (with the deferred
    work added meanwhile), released otherwise: `conn.begin_nested()` for a hot path. In a
    `Database.write` transaction its statements go through `exec_driver_sql` (a pair ≈15 µs
    here, against ≈60 µs for begin_nested's bookkeeping and events); one runs per pushed
    operation and per gated write. Elsewhere it is begin_nested."""
    scope: _WriteScope | None = conn.info.get(_SCOPE)
    if scope is None:
        with conn.begin_nested():
            yield conn
        return
    name = f"jiedan_{len(scope.savepoints)}"
    conn.exec_driver_sql(f"SAVEPOINT {name}")
    scope.mark()
    try:
        yield conn
    except BaseException:
        scope.roll_back()
        conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {name}")
        conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}")
        raise
    conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}")
    scope.savepoints.pop()


def _on_savepoint(conn: Connection, _name: str | None) -> None:
    scope: _WriteScope | None = conn.info.get(_SCOPE)
    if scope is not None:
        scope.mark()


def _on_rollback_savepoint(conn: Connection, _name: str, _context: Any) -> None:
    scope: _WriteScope | None = conn.info.get(_SCOPE)
    if scope is not None and scope.savepoints:
        scope.roll_back()


def _on_release_savepoint(conn: Connection, _name: str, _context: Any) -> None:
    scope: _WriteScope | None = conn.info.get(_SCOPE)
    if scope is not None and scope.savepoints:
        scope.savepoints.pop()


class WriteGroup:
    """The transaction of a `Database.write_group` and its members' writes: `writes` counts
    the writes released into it (a caller whose count moved must hear of the commit before
    it is answered); `intact` is False once the transaction is lost (a driver error SQLite
    answers by rolling back: disk full, I/O), after which nothing more may run in it."""

    def __init__(self, conn: Connection, scope: _WriteScope) -> None:
        self.conn, self.scope = conn, scope
        self.writes = 0
        self.depth = 0  # > 0 while a member's write is open

    @property
    def intact(self) -> bool:
        driver = self.conn.connection.driver_connection
        return bool(getattr(driver, "in_transaction", True))

    @contextmanager
    def member_write(self) -> Iterator[Connection]:
        """A member's write: a savepoint, with `before_commit` work of its own (run as its
        block ends, inside it: what its own commit would have run) and deferred work kept
        in the group's lists (dropped with the savepoint when it rolls back)."""
        if not self.intact:
            raise TemporaryFailure("the database is busy; try again shortly")
        scope = self.scope
        scope.hooks, scope.state = {}, {}
        self.depth += 1
        try:
            with savepoint(self.conn):
                yield self.conn
                for hook in scope.hooks.values():
                    hook(self.conn)
            self.writes += 1
        except DBAPIError as exc:
            # not intact: the savepoint went with the transaction (its ROLLBACK TO failed)
            if is_transient(exc) or not self.intact:
                raise TemporaryFailure("the database is busy; try again shortly") from exc
            raise
        finally:
            self.depth -= 1
            scope.hooks, scope.state = {}, {}


def is_transient(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _PG_TRANSIENT:
        return True
    text = str(orig or exc).lower()
    return "database is locked" in text or "database table is locked" in text


class Database:
    @classmethod
    def from_settings(cls, settings: Any) -> Database:
        """The database of `settings` (a server `Settings`), with its pool settings."""
        return cls(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            prepare_threshold=settings.db_prepare_threshold,
        )

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        max_overflow: int = 10,
        prepare_threshold: int | None = 5,
    ) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        self._plain_file = self._plain_file_path()
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if self.url.database and self.url.database != ":memory:":
                kwargs["pool_size"] = SQLITE_POOL_SIZE
                kwargs["max_overflow"] = SQLITE_POOL_SIZE
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = max_overflow
            kwargs["pool_pre_ping"] = True
            # 0 or None: no server-side prepared statements (PgBouncer in transaction mode)
            kwargs["connect_args"] = {"prepare_threshold": prepare_threshold or None}
        self.engine = create_engine(url, **kwargs)
        self._write_lock = threading.RLock() if self.is_sqlite else None
        self._local = threading.local()  # .group: the write_group this thread runs
        self._probe: sqlite3.Connection | None = None
        self._probe_lock = threading.Lock()
        self._checkpointer: _Checkpointer | None = None
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        event.listen(self.engine, "savepoint", _on_savepoint)
        event.listen(self.engine, "rollback_savepoint", _on_rollback_savepoint)
        event.listen(self.engine, "release_savepoint", _on_release_savepoint)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction, committed when the block ends without an exception.
        Work registered with `before_commit(conn, key, hook)` runs last, just before the
        commit (the ledger's shared accounts: their rows are then locked for as short a
        time as possible), and what was `deferred` after it (the change log's appends).

        Called by a member of a `write_group` (on its thread, not inside another write), it
        is a savepoint of the group's transaction instead: rolled back alone when the block
        raises, its `before_commit` work run when the block ends, committed with the group."""
        group: WriteGroup | None = getattr(self._local, "group", None)
        if group is not None and group.depth == 0:
            with group.member_write() as conn:
                yield conn
            return
        with self._transaction() as (conn, _scope):
            yield conn

    @contextmanager
    def write_group(self) -> Iterator[WriteGroup]:
        """One write transaction for several callers, run one after another on this thread
        (SQLite's writer thread, api/write_thread.py: group commit): until the block ends,
        each `write` on this thread is a savepoint of it (see `write`). Committed when the
        block ends without an exception — the deferred work (change log, risk records) of
        all its members then, in one statement a kind, in the order they ran. Raises
        TemporaryFailure, committing nothing, when a member's failure lost the transaction
        (`WriteGroup.intact`)."""
        with self._transaction() as (conn, scope):
            group = WriteGroup(conn, scope)
            self._local.group = group
            try:
                yield group
            finally:
                self._local.group = None
            if not group.intact:
                raise TemporaryFailure("the database is busy; try again shortly")

    @contextmanager
    def _transaction(self) -> Iterator[tuple[Connection, _WriteScope]]:
        try:
            with self._writer_turn(), self.engine.connect() as conn:
                if self.is_sqlite:
                    conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                scope = conn.info[_SCOPE] = _WriteScope()
                try:
                    with conn.begin():
                        yield conn, scope
                        scope.flush(conn)
                finally:
                    conn.info.pop(_SCOPE, None)  # the DBAPI connection's info outlives us
        except DBAPIError as exc:
            if is_transient(exc):
                raise TemporaryFailure("the database is busy; try again shortly") from exc
            raise

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """On SQLite, this process's writers queue on a lock: a BEGIN IMMEDIATE that waits
        sleeps in SQLite's busy handler (backing off up to 100 ms a try), which under load
        turned 5 ms writes into seconds. Re-entrant, so a nested write fails as it did
        before (on the busy timeout) rather than deadlocking."""
        if self._write_lock is None:
            yield
            return
        if not self._write_lock.acquire(timeout=WRITE_WAIT_SECONDS):
            raise TemporaryFailure("the database is busy; try again shortly")
        try:
            yield
        finally:
            self._write_lock.release()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on both backends)."""
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except DBAPIError as exc:
            if is_transient(exc):
                raise TemporaryFailure("the database is busy; try again shortly") from exc
            raise

    def data_version(self) -> int | None:
        """A number that changes whenever anything — any connection, any process — commits
        to the database, for caches of what it holds; None where that is not known cheaply
        (PostgreSQL, in-memory SQLite). SQLite's `PRAGMA data_version` on a connection of
        our own that never writes: it moves on every commit but its own (≈10 µs)."""
        path = self._file_path()
        if path is None:
            return None
        with self._probe_lock:
            if self._probe is None:
                self._probe = sqlite3.connect(
                    path, timeout=30, isolation_level=None, check_same_thread=False
                )
            return int(self._probe.execute("PRAGMA data_version").fetchone()[0])

    def _file_path(self) -> str | None:
        return self._plain_file  # asked on every cached read (data_version): worked out once

    def _plain_file_path(self) -> str | None:
        database = self.url.database
        plain = self.is_sqlite and not self.url.query and database not in (None, "", ":memory:")
        return database if plain and not str(database).startswith("file:") else None

    def start_checkpointer(self, interval: float = CHECKPOINT_SECONDS) -> None:
        """On an SQLite file, copy the write-ahead log into the database from a thread of its
        own. Left to SQLite, the commit that fills the log does it, fsync included, while
        every other writer of ours waits on the write lock (tens of ms on a busy disk)."""
        path = self._file_path()
        if path is not None and self._checkpointer is None:
            self._checkpointer = _Checkpointer(path, interval)
            self._checkpointer.start()

    def stop_checkpointer(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    def migrate(self) -> None:
        from jiedan_cli.server.db.migrate import upgrade

        upgrade(self)

    def dispose(self) -> None:
        self.stop_checkpointer()
        with self._probe_lock:
            if self._probe is not None:
                self._probe.close()
                self._probe = None
        self.engine.dispose()


class _Checkpointer:
    """A daemon thread running a PASSIVE checkpoint every `interval` s: it never blocks
    readers or writers, and keeps the log short enough that no commit has to."""

    def __init__(self, path: str, interval: float) -> None:
        self.path, self.interval = path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="jiedan-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while not self._stop.wait(self.interval):
                # busy or gone: the next round (or SQLite itself) does it
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()


def _configure_sqlite(engine: Any) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # On the driver's connection, not through `conn.exec_driver_sql`: SQLAlchemy's
        # execution machinery cost a write as much CPU again as the BEGIN itself (P6). Its
        # failures (another process holds the lock) are wrapped as SQLAlchemy's would be.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        statement = _BEGIN[mode]
        try:
            conn.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc
