"""One sync at a time per replica. `jiedan sync --watch`, the TUI and each command's quick
sync may run at once; two pushes of the same batch would be harmless (the server answers the
second from storage) but two pulls could write an older page over a newer one. An advisory
lock file beside the database serialises them across processes and threads."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jiedan_cli.domain.errors import TemporaryFailure


class SyncBusy(TemporaryFailure):
    """Another sync of this replica is running."""

    code = "sync_in_progress"


def lock_path(conn: sqlite3.Connection) -> Path | None:
    row = conn.execute("PRAGMA database_list").fetchone()
    filename = row[2] if row is not None else ""
    return Path(f"{filename}.sync-lock") if filename else None  # None: an in-memory replica


@contextmanager
def sync_lock(conn: sqlite3.Connection, *, wait: float | None) -> Iterator[None]:
    """Hold the replica's sync lock; wait up to `wait` seconds (None: forever, 0: not at
    all) for another holder, then SyncBusy."""
    path = lock_path(conn)
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the pull's cursor check still guards the data
        yield
        return
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        give_up = None if wait is None else time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if give_up is not None and time.monotonic() >= give_up:
                    raise SyncBusy("another sync of this replica is running") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
