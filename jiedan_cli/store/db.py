"""Opening the local database, and the one way to write to it: `transaction`.

The stdlib sqlite3 module is used directly, in autocommit mode with explicit transactions:
a cold read command must not pay the ≈110 ms import of sqlite_utils (performance.md, P1).
Migrations (which use sqlite_utils) are imported and run only when one is pending."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from jiedan_cli import locations

BUSY_TIMEOUT_SECONDS = 5.0


def db_path() -> Path:
    """The replica of the current user: <data dir>/jiedan.db (under JIEDAN_HOME when set)."""
    return locations.data_dir() / "jiedan.db"


def connect(path: Path | str | None = None) -> sqlite3.Connection:
    """A connection without migrating: WAL (readers never wait for the syncing writer), a busy
    timeout, rows as sqlite3.Row, and no implicit transactions (see `transaction`)."""
    target = str(path) if path is not None else str(db_path())
    if target != ":memory:":
        _private_files(Path(target), ours=path is None)
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        # The default synchronous=FULL is kept on purpose: an outbox row must survive power
        # loss, not just a crash of the process.
        _ensure_wal(conn)  # the first read: a file that is not a database fails here
        # 32 MB of page cache at most (allocated as used): a 100k-order initial sync keeps its
        # index pages in memory; a cold read touches a few pages and never grows it.
        conn.execute("PRAGMA cache_size=-32000")
    except BaseException:
        conn.close()
        raise
    return conn


def _private_files(path: Path, *, ours: bool) -> None:
    """The replica is its user's alone (messages, ledger, location, e-mail): its folder 0700
    when made here (`ours`: the data dir, tightened if an older version left it open), the
    file made 0600 before SQLite opens it — SQLite gives its -wal and -shm the database
    file's mode — and any of them an older version left readable by others tightened."""
    locations.private_dir(path.parent, ours=ours)
    locations.create_private(path)
    for suffix in ("-wal", "-shm", ".sync-lock"):
        locations.make_private(path.with_name(path.name + suffix))


def _ensure_wal(conn: sqlite3.Connection) -> None:
    """WAL is a property of the file: switch once. The switch needs the file to itself, and
    when several processes create the replica at once it can fail with "database is locked"
    without waiting for the busy timeout — so it is retried for a while."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    for attempt in range(50):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.02 + 0.01 * attempt)


def open_db(path: Path | str | None = None) -> sqlite3.Connection:
    """A connection to the replica with every migration applied (one query when up to date)."""
    from jiedan_cli.store.migrations import migrate

    conn = connect(path)
    try:
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn
