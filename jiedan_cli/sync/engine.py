"""The sync engine (sync.md): push the outbox, then pull the change log, then send the
content of delivered files the server has taken (sync/uploads.py).

    with connect_signed_in() as client:                 # sync/http.py
        report = sync(conn, client, progress=on_progress)  # `jiedan sync`
    report = quick_sync(conn)                              # after each command; never raises

Order comes from outbox seqs and the server's change-log cursor, never from a clock. Every
step is idempotent on the server (op_ids) and atomic here (one local transaction per settled
batch and per applied page), so a sync can be cut at any point — a kill -9, a reset
connection — and the next one finishes the work with each operation applied exactly once."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import httpx

from jiedan_cli.domain.errors import JiedanError, NotFound, Refused
from jiedan_cli.store import outbox
from jiedan_cli.store.outbox import resequence
from jiedan_cli.sync.lock import sync_lock
from jiedan_cli.sync.progress import ProgressCallback
from jiedan_cli.sync.pull import PAGE_LIMIT, pull_changes
from jiedan_cli.sync.push import BatchLimits, push_outbox
from jiedan_cli.sync.retry import Deadline, RetryPolicy
from jiedan_cli.sync.uploads import upload_pending

# `jiedan sync` keeps going while it makes progress (a first sync of a big market takes a
# while); waiting on a server that does not answer is bounded by RetryPolicy.give_up_after.
SYNC_DEADLINE: float | None = None
QUICK_DEADLINE = 2.0  # the sync after each command
MAX_ROUNDS = 3  # push+pull rounds: a second one only after a reset left operations pending


@dataclass
class SyncReport:
    pushed: int = 0  # operations the server confirmed in this sync
    rejected: int = 0  # operations it refused for good in this sync
    pulled: int = 0  # changes pulled
    pending: int = 0  # operations still queued afterwards
    requests: int = 0  # HTTP requests made (retries included)
    reset: bool = False  # the server copy was rebuilt (the server's epoch changed)
    complete: bool = True  # False: stopped early (deadline, offline) — run it again
    error: str | None = None  # why it stopped early (quick_sync only; sync raises)
    uploaded: int = 0  # delivered files whose content the server now holds whole

    def as_dict(self) -> dict[str, int]:
        """The `jiedan sync --json` document (cli.md)."""
        return {
            "pushed": self.pushed,
            "rejected": self.rejected,
            "pulled": self.pulled,
            "pending": self.pending,
        }


def sync(
    conn: sqlite3.Connection,
    client: httpx.Client,
    *,
    deadline: float | None = SYNC_DEADLINE,
    progress: ProgressCallback | None = None,
    limits: BatchLimits | None = None,
    policy: RetryPolicy | None = None,
    page_limit: int = PAGE_LIMIT,
    lock_wait: float | None = None,
) -> SyncReport:
    """Push every pending operation, then pull every change, within `deadline` seconds
    (None: no limit). Raises Offline when the server cannot be reached (or stays busy) until
    the deadline; Unauthenticated for a bad token; Refused when the server knows this replica
    under another account. Stops early without an error, `complete=False`, when the deadline
    comes while the work is still going well."""
    limit = Deadline(deadline)
    policy = policy or RetryPolicy()
    report = SyncReport()
    with sync_lock(conn, wait=limit.remaining() if lock_wait is None else lock_wait):
        try:
            _rounds(conn, client, report, limit, policy, progress, limits, page_limit)
            if report.complete:
                _upload_files(conn, client, report, limit, policy, progress)
        except NotFound as exc:
            # The server binds a client_id to the account that first used it.
            raise Refused(
                "this replica is registered to another account on the server; sign in as "
                f"its user, or use another JIEDAN_HOME ({exc.message})",
                code="replica_of_another_account",
            ) from exc
        except Refused as exc:
            if exc.code != "replica_of_another_account":
                raise
            # Every push and pull names the replica's account (sync/http.replica_owner): the
            # server refuses another account's token before anything moves — what a
            # `GET /v1/me` of its own, a round trip, checked before the first push.
            raise Refused(
                "the token belongs to another account than this replica's; sign in as its "
                "user, or use another JIEDAN_HOME",
                code="replica_of_another_account",
            ) from exc
    report.pending = outbox.counts(conn)[outbox.PENDING]
    return report


def _rounds(
    conn: sqlite3.Connection,
    client: httpx.Client,
    report: SyncReport,
    limit: Deadline,
    policy: RetryPolicy,
    progress: ProgressCallback | None,
    limits: BatchLimits | None,
    page_limit: int,
) -> None:
    """Push then pull; again only when a reset left operations to push."""
    for _round in range(MAX_ROUNDS):
        pushed = push_outbox(
            conn, client, deadline=limit, policy=policy, limits=limits, progress=progress
        )
        report.pushed += pushed.pushed
        report.rejected += pushed.rejected
        report.requests += pushed.requests
        if pushed.stopped_early:
            report.complete = False
            return
        pulled = pull_changes(
            conn, client, deadline=limit, policy=policy, limit=page_limit, progress=progress
        )
        report.pulled += pulled.pulled
        report.requests += pulled.requests
        report.reset = report.reset or pulled.reset
        if pulled.stopped_early:
            report.complete = False
            return
        if not (pulled.reset and _align_after_reset(conn, pulled.last_seq)):
            return


def _upload_files(
    conn: sqlite3.Connection,
    client: httpx.Client,
    report: SyncReport,
    limit: Deadline,
    policy: RetryPolicy,
    progress: ProgressCallback | None,
) -> None:
    """Once the deliveries are taken, send their files' content (sync/uploads.py)."""
    sent = upload_pending(conn, client, deadline=limit, policy=policy, progress=progress)
    report.uploaded += sent.uploaded
    report.requests += sent.requests
    if sent.stopped_early:
        report.complete = False


def _align_after_reset(conn: sqlite3.Connection, server_last_seq: int | None) -> bool:
    """After a reset, whether operations are still pending (so another round pushes them).
    Renumbers them to follow the server's last seq for this client when they would leave a
    gap — saving the round trip a `gap` answer would cost."""
    waiting = outbox.pending(conn, limit=1)
    if not waiting:
        return False
    if server_last_seq is not None and waiting[0].seq > server_last_seq + 1:
        resequence(conn, server_last_seq + 1)
    return True


def quick_sync(
    conn: sqlite3.Connection,
    client: httpx.Client | None = None,
    *,
    deadline: float = QUICK_DEADLINE,
    progress: ProgressCallback | None = None,
) -> SyncReport:
    """The short sync after a command. Never raises for an expected failure: the command's
    change is already saved and queued. Skips at once if another sync of this replica is
    running (it will carry the new operation). Without `client`, one is made from the
    configured server and stored credentials, and closed afterwards."""
    try:
        if client is not None:
            return sync(conn, client, deadline=deadline, progress=progress, lock_wait=0)
        from jiedan_cli.sync.http import connect_signed_in

        with connect_signed_in() as own:
            return sync(conn, own, deadline=deadline, progress=progress, lock_wait=0)
    except JiedanError as exc:
        return SyncReport(
            pending=outbox.counts(conn)[outbox.PENDING], complete=False, error=exc.message
        )
