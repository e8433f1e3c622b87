"""The dashboard's background sync: sync/watch.py's loop (every few seconds, at once when an
action queues an operation, probing with backoff while offline), run in a worker thread on
its own connection, reporting each outcome as a SyncStateRead message."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from jiedan_cli.domain.errors import JiedanError, Unauthenticated
from jiedan_cli.store.db import open_db
from jiedan_cli.tui.messages import OutboxSnapshot, SyncStateRead, SyncWorking

if TYPE_CHECKING:  # sync/ imports httpx (≈70 ms): loaded in the worker, after the first paint
    from jiedan_cli.sync.engine import SyncReport
    from jiedan_cli.sync.progress import ProgressCallback, SyncProgress

Post = Callable[[SyncStateRead | SyncWorking], object]
# While a pull goes on, how often the dashboard hears of it (and rereads what is committed).
PROGRESS_EVERY = 1.0
# One background sync: an unreachable server is retried this long before the line says
# offline; a long pull that is still going well stops here and the next round resumes it.
SYNC_DEADLINE = 10.0


def outbox_snapshot(conn: sqlite3.Connection) -> OutboxSnapshot:
    from jiedan_cli.store.verdicts import sync_status

    return OutboxSnapshot.of(sync_status(conn))


def read_sync_state(db_path: Path | None, post: Post) -> None:
    """Post the outbox as it is now (no sync): after an action, or at start."""
    conn = open_db(db_path)
    try:
        post(SyncStateRead(outbox_snapshot(conn)))
    finally:
        conn.close()


def run_background_sync(
    db_path: Path | None,
    stop: threading.Event,
    post: Post,
    *,
    interval: float,
    deadline: float = SYNC_DEADLINE,
    server: str | None = None,
) -> None:
    """Sync until `stop` is set. Returns early when signed out or refused for good (a bad
    token, a replica of another account): only the user can cure that."""
    from jiedan_cli.sync.http import connect_signed_in
    from jiedan_cli.sync.watch import watch

    conn = open_db(db_path)
    try:
        try:
            client = connect_signed_in(server)
        except Unauthenticated as exc:
            post(SyncStateRead(outbox_snapshot(conn), "signed_out", exc.message))
            return

        def reported(report: SyncReport) -> None:
            changed = bool(report.pushed or report.pulled or report.rejected or report.reset)
            post(SyncStateRead(outbox_snapshot(conn), "synced", None, changed, report.complete))

        def offline(error: JiedanError) -> None:
            post(SyncStateRead(outbox_snapshot(conn), "offline", error.message))

        with client:
            try:
                watch(
                    conn,
                    client,
                    interval=interval,
                    stop=stop,
                    on_report=reported,
                    on_offline=offline,
                    progress=pulling(post),
                    sync_deadline=deadline,
                )
            except Unauthenticated as exc:
                post(SyncStateRead(outbox_snapshot(conn), "signed_out", exc.message))
            except JiedanError as exc:
                post(SyncStateRead(outbox_snapshot(conn), "offline", exc.message))
    finally:
        conn.close()


def pulling(
    post: Post, every: float = PROGRESS_EVERY, clock: Callable[[], float] = time.monotonic
) -> ProgressCallback:
    """A progress callback that posts SyncWorking at most once per `every` seconds of a pull,
    and only once a pull has gone on that long: a quick sync says nothing."""
    started: list[float] = []
    last = [0.0]

    def progressed(event: SyncProgress) -> None:
        if event.phase != "pull":
            return
        now = clock()
        if not started or event.done == 0:
            started[:] = [now]
            last[0] = now
            return
        if now - last[0] >= every:
            last[0] = now
            post(SyncWorking(event.done))

    return progressed
