"""Pull: `GET /v1/sync/pull` page after page, each page applied together with its cursor in
one local transaction (store/apply.py), so an interrupted pull resumes from the last page it
committed and memory stays bounded by one page.

A page answered with `reset` (the server's epoch changed: a restored or replaced database)
clears the server copy; the pull then starts again from the beginning. The outbox is kept —
the engine pushes what is still pending afterwards."""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from jiedan_cli.store.apply import PreparedPage, prepare_page, sqlite_at_work, write_page
from jiedan_cli.store.state import sync_state
from jiedan_cli.store.transaction import transaction
from jiedan_cli.sync.http import ServerError, replica_owner, request
from jiedan_cli.sync.progress import ProgressCallback, report
from jiedan_cli.sync.retry import Deadline, RetryPolicy, retrying

T = TypeVar("T")
PULL_PATH = "/v1/sync/pull"
PAGE_LIMIT = 2_000  # the server allows up to 5,000


@dataclass
class PullTally:
    pulled: int = 0
    pages: int = 0
    requests: int = 0
    reset: bool = False
    last_seq: int | None = None  # the server's last settled seq for this client
    stopped_early: bool = False


def pull_changes(
    conn: sqlite3.Connection,
    client: httpx.Client,
    *,
    deadline: Deadline,
    policy: RetryPolicy,
    limit: int = PAGE_LIMIT,
    progress: ProgressCallback | None = None,
) -> PullTally:
    """Pull and apply pages until the server has no more.

    The next page is fetched and prepared (store/apply.prepare_page: rows and search text,
    no database) in a worker thread while this one is written, so the network, the Python
    work and SQLite's work overlap on a large initial sync; at most two pages are held."""
    tally = PullTally()
    state = sync_state(conn)
    client_id, cursor, owner = state.client_id, state.cursor, replica_owner(state.user_id)
    # Set while this thread needs no GIL (committing: SQLite's own work; waiting). The worker
    # prepares only then: a writer that binds thousands of rows one by one would otherwise
    # wait up to a GIL switch interval (5 ms) for each of them.
    writer_idle = threading.Event()
    writer_idle.set()

    def fetch(after: str | None) -> PreparedPage:
        page = _fetch(client, after, client_id, owner, limit, deadline, policy, tally)
        return prepare_page(page, pause=lambda: writer_idle.wait(_PAUSE_SECONDS))

    pool: _Worker[PreparedPage] = _Worker("jiedan-pull")
    coming = pool.submit(fetch, cursor)
    try:
        with unsynced_commits(conn):
            while True:
                prepared = coming.result()
                page = prepared.page
                last_page = not page["has_more"] or (
                    page["next_cursor"] == cursor and not page["changes"] and not page.get("reset")
                )
                if not last_page:
                    coming = pool.submit(fetch, page["next_cursor"])
                if not _apply_if_current(conn, prepared, cursor, writer_idle):
                    # another writer moved the cursor meanwhile: pull from where it is now
                    coming.cancel()
                    cursor = sync_state(conn).cursor
                    coming = pool.submit(fetch, cursor)
                    continue
                cursor = page["next_cursor"]
                tally.pages += 1
                tally.pulled += len(page["changes"])
                tally.reset = tally.reset or bool(page.get("reset"))
                if isinstance(page.get("last_seq"), int):
                    tally.last_seq = page["last_seq"]
                report(progress, "pull", tally.pulled, None)
                if last_page:
                    return tally
                if deadline.expired():
                    tally.stopped_early = True
                    return tally
    finally:
        writer_idle.set()
        coming.cancel()  # not yet started: never will be
        pool.shutdown()


class _Worker(Generic[T]):
    """One daemon thread running the calls given to it in order: a ThreadPoolExecutor of one,
    except that a request still waiting on the network does not hold up the process's exit
    (an executor's threads are joined at exit, so Ctrl-C during a pull from a silent server
    ended only when the read timed out, 30 s later)."""

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[tuple[Future[T], Callable[[Any], T], Any] | None] = (
            queue.SimpleQueue()
        )
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def submit(self, call: Callable[[Any], T], argument: Any) -> Future[T]:
        future: Future[T] = Future()
        self._calls.put((future, call, argument))
        return future

    def shutdown(self) -> None:
        """The thread ends after the call it is running; cancelled calls are skipped."""
        self._calls.put(None)

    def _run(self) -> None:
        while (item := self._calls.get()) is not None:
            future, call, argument = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call(argument))
            except BaseException as exc:  # handed to the waiting thread, as an executor does
                future.set_exception(exc)


_PAUSE_SECONDS = 0.5  # at most, should the writer hold on to the GIL that long


def _fetch(
    client: httpx.Client,
    cursor: str | None,
    client_id: str,
    owner: dict[str, str],
    limit: int,
    deadline: Deadline,
    policy: RetryPolicy,
    tally: PullTally,
) -> dict[str, Any]:
    params = {"cursor": cursor or "", "limit": limit, "client_id": client_id, **owner}

    def attempt(seconds_left: float | None) -> Any:
        tally.requests += 1
        return request(client, "GET", PULL_PATH, params=params, timeout=seconds_left)

    page = retrying(attempt, deadline, policy)
    if not (
        isinstance(page, dict)
        and isinstance(page.get("changes"), list)
        and isinstance(page.get("next_cursor"), str)
        and isinstance(page.get("has_more"), bool)
    ):
        raise ServerError("the server's pull answer is not a page of changes")
    return page


@contextmanager
def unsynced_commits(conn: sqlite3.Connection) -> Iterator[None]:
    """The pull's pages are committed without waiting for the disk (synchronous=NORMAL; the
    connection's own setting is back afterwards). In WAL mode that keeps the database
    consistent through a power cut, which may lose only the last pages committed — each
    with its cursor, so the next pull fetches them again. Nothing is lost: the next commit
    made with synchronous=FULL (the outbox's) syncs the whole log, these pages' included.
    An fsync a page was most of a fast machine's commit time."""
    if conn.in_transaction:  # SQLite refuses to change it inside one; the pages join it
        yield
        return
    was = conn.execute("PRAGMA synchronous").fetchone()[0]
    conn.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA synchronous={int(was)}")


def _apply_if_current(
    conn: sqlite3.Connection,
    prepared: PreparedPage,
    cursor: str | None,
    writer_idle: threading.Event,
) -> bool:
    """Apply `page` (pulled after `cursor`) unless the stored cursor has moved since: then the
    page may be older than what is stored, and writing it would go back in time."""
    writer_idle.clear()
    resting = sqlite_at_work.set(lambda: _set_while(writer_idle))
    try:
        with transaction(conn):
            now = conn.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()[0]
            if now != cursor:
                return False
            write_page(conn, prepared)
            # What is left is the commit — FTS5 flushing its terms, the WAL written — which
            # SQLite does without the GIL: the worker may prepare the next page meanwhile.
            writer_idle.set()
    finally:
        sqlite_at_work.reset(resting)
        writer_idle.set()
    return True


@contextmanager
def _set_while(event: threading.Event) -> Iterator[None]:
    event.set()
    try:
        yield
    finally:
        event.clear()
