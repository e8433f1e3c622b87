"""`jiedan sync --watch` (and the TUI's background sync): sync every `interval` seconds, at
once when a command queues a new operation, and — while the server is unreachable — probe it
with backoff and sync the moment it answers again (sync.md, "Weak networks")."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import httpx

from jiedan_cli.domain.errors import JiedanError, Offline, TemporaryFailure, TooManyAttempts
from jiedan_cli.store import outbox
from jiedan_cli.sync.engine import SYNC_DEADLINE, SyncReport, sync
from jiedan_cli.sync.http import ServerError, request
from jiedan_cli.sync.lock import SyncBusy
from jiedan_cli.sync.progress import ProgressCallback
from jiedan_cli.sync.retry import RetryPolicy

PROBE_TIMEOUT = 2.0
Unreachable = (Offline, TemporaryFailure, TooManyAttempts)


def watch(
    conn: sqlite3.Connection,
    client: httpx.Client,
    *,
    interval: float = 30.0,
    stop: threading.Event | None = None,
    on_report: Callable[[SyncReport], None] | None = None,
    on_offline: Callable[[JiedanError], None] | None = None,
    progress: ProgressCallback | None = None,
    sync_deadline: float | None = SYNC_DEADLINE,
    policy: RetryPolicy | None = None,
    tick: float = 0.5,
) -> None:
    """Run until `stop` is set (or KeyboardInterrupt). Raises what no waiting can cure
    (Unauthenticated, a replica of another account); reports the rest through the
    callbacks: `on_offline` for an unreachable or failing server, `on_report` per sync."""
    stop = stop or threading.Event()
    probe_policy = policy or RetryPolicy(first=1.0, cap=10.0)
    next_sync = 0.0
    offline = False
    next_probe = 0.0
    probes = 0
    seen_pending = outbox.counts(conn)[outbox.PENDING]
    while not stop.is_set():
        now = time.monotonic()
        pending = outbox.counts(conn)[outbox.PENDING]
        if offline and now >= next_probe:
            if server_answers(client):
                offline, next_sync = False, now
            else:
                next_probe = now + probe_policy.wait(probes)
                probes += 1
        due = now >= next_sync or pending > seen_pending
        if due and not offline:
            try:
                report = sync(
                    conn, client, deadline=sync_deadline, progress=progress, policy=policy
                )
            except SyncBusy:  # a command's quick sync holds the lock: try again next tick
                pass
            except Unreachable as exc:
                offline, probes = True, 1
                next_probe = time.monotonic() + probe_policy.wait(0)
                if on_offline is not None:
                    on_offline(exc)
            except ServerError as exc:  # the server answers but fails: not a probe's business
                next_sync = time.monotonic() + interval
                if on_offline is not None:
                    on_offline(exc)
            else:
                next_sync = time.monotonic() + interval
                if on_report is not None:
                    on_report(report)
            pending = outbox.counts(conn)[outbox.PENDING]
        seen_pending = pending
        stop.wait(tick)


def server_answers(client: httpx.Client) -> bool:
    """Whether the server answers its health check now."""
    try:
        request(client, "GET", "/healthz", timeout=PROBE_TIMEOUT)
    except JiedanError:
        return False
    return True
