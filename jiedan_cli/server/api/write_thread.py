"""One writer thread per SQLite database (#8 P6): SQLite writers take turns anyway
(`Database.write`'s lock), so the writes of the SQLite routes run one at a time, in the order
they came, on a thread of their own fed by a `queue.SimpleQueue` — not each through anyio's
thread pool behind a CapacityLimiter. Measured in one process, 32 coroutines writing at once
(the P6 shape): a write turn costs 40–60 µs of CPU here against 282–419 µs through
`CapacityLimiter` + `to_thread.run_sync` (its queue.Queue's Condition, the limiter's
wake-ups; docs/decisions.md).

The thread runs nothing but the calls given (in a copy of the caller's context, as
`to_thread` does); it holds no connection of its own — each call checks one out of the pool
as before, so the auth cache's invalidation on pool check-in sees what it saw. A call not
started within `wait` seconds is skipped and its caller gets TemporaryFailure (503), as a
write that waits too long for SQLite's lock; a call already started is waited for. The
thread ends after IDLE_SECONDS without work, or when `stop` asks, and is started again by the
next call.

Group commit: calls given with `grouped=True` (a route whose whole work is one `Database.write`
and nothing after it but its answer) that are queued together run in one transaction of the
`group` given (`Database.write_group`): each call's write a savepoint of it, GROUP_CALLS at
most, taken as they come while it runs. Every call of the group is answered after the commit,
so none is told of a write that is not committed; a call whose write was in the group gets
the commit's failure (TemporaryFailure: 503) when it fails, the others their own outcome. A
call's error undoes its own savepoint only (services keep their transaction rules: the risk
gate's savepoint, the ledger's before-commit moves, the change log in the order the calls
ran). The commit, BEGIN and the deferred appends (change log, risk records) are paid once a
group instead of once a call (docs/decisions.md, #8 P6: group commit)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar

from jiedan_cli.domain.errors import TemporaryFailure

T = TypeVar("T")
IDLE_SECONDS = 30.0
# Calls in one group, at most: 32 bids hold SQLite's one writer ≈ 50 ms on an idle machine,
# which the group's first caller waits on (as push groups: sync_push.GROUP_OPS).
GROUP_CALLS = 32


class Group(Protocol):
    """What a group transaction tells its thread (db.engine.WriteGroup)."""

    @property
    def writes(self) -> int: ...

    @property
    def intact(self) -> bool: ...


class _Call(Generic[T]):
    __slots__ = ("call", "context", "future", "grouped", "lock", "loop", "state")

    def __init__(self, call: Callable[[], T], future: asyncio.Future[T], grouped: bool) -> None:
        self.call = call
        self.grouped = grouped
        self.context = contextvars.copy_context()
        self.future = future
        self.loop = future.get_loop()
        self.state = "queued"  # → "started" (by the thread) or "abandoned" (by the caller)
        self.lock = threading.Lock()

    def start(self) -> bool:
        with self.lock:
            if self.state != "queued":
                return False
            self.state = "started"
            return True

    def abandon(self) -> bool:
        """True when the call had not started (and now never will)."""
        with self.lock:
            if self.state != "queued":
                return False
            self.state = "abandoned"
            return True

    def settle(self, outcome: Callable[..., None], *args: Any) -> None:
        # RuntimeError: the caller's loop is closed, nobody waits for this any more
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(outcome, self.future, *args)


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


class WriteThread:
    """Runs the calls given to `run` one at a time on one thread, in the order given; the
    grouped ones that queue together in one transaction of `group` (module docstring)."""

    def __init__(
        self, name: str, group: Callable[[], AbstractContextManager[Group]] | None = None
    ) -> None:
        self._name = name
        self._group = group
        self._calls: queue.SimpleQueue[_Call[Any] | None] = queue.SimpleQueue()  # None: stop
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # taken from the queue while a group was gathered, not of it: next, in this order
        self._taken: deque[_Call[Any] | None] = deque()

    async def run(self, call: Callable[[], T], *, wait: float, grouped: bool = False) -> T:
        job: _Call[T] = _Call(call, asyncio.get_running_loop().create_future(), grouped)
        with self._lock:
            self._calls.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._thread.start()
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), wait)
        except TimeoutError:
            if job.abandon():
                raise TemporaryFailure("the database is busy; try again shortly") from None
            return await job.future  # it started in time: it finishes

    def waiting(self) -> int:
        """Calls given and not yet taken up (about: the queue is being served meanwhile)."""
        return self._calls.qsize() + len(self._taken)

    def stop(self) -> None:
        """End the thread once the calls queued before are done, and wait for it (an app
        driven in-process, such as the seed's, when it is done); the next call starts one."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._calls.put(None)
        thread.join()

    def _serve(self) -> None:
        while True:
            try:
                job = self._taken.popleft() if self._taken else self._wait_for_call()
            except queue.Empty:
                with self._lock:
                    if self._calls.empty():  # no call slipped in: the next one starts a thread
                        self._thread = None
                        return
                continue
            if job is None:  # `stop`: everything queued before it is done
                with self._lock:
                    if self._thread is threading.current_thread():
                        self._thread = None
                return
            if job.grouped and self._group is not None:
                self._serve_group(job, self._group)
            elif job.start():
                _settle(job, *_outcome(job))

    def _serve_group(
        self, first: _Call[Any], group: Callable[[], AbstractContextManager[Group]]
    ) -> None:
        """`first` and the grouped calls queued behind it, in one transaction."""
        done: list[tuple[_Call[Any], bool, Any, bool]] = []  # call, ok, outcome, wrote
        job: _Call[Any] | None = first
        try:
            with group() as transaction:
                while job is not None:
                    if job.start():
                        writes = transaction.writes
                        ok, outcome = _outcome(job)
                        done.append((job, ok, outcome, transaction.writes > writes))
                    job = None
                    if len(done) < GROUP_CALLS and transaction.intact:
                        job = self._next_grouped()
        except BaseException as failure:
            # nothing of the group is committed: who wrote in it hears so, and `first` when
            # the transaction could not begin
            for done_job, ok, outcome, wrote in done:
                _settle(done_job, *((False, _shared(failure)) if wrote else (ok, outcome)))
            if job is not None and job.start():
                _settle(job, False, _shared(failure))
            return
        for done_job, ok, outcome, _wrote in done:
            _settle(done_job, ok, outcome)

    def _wait_for_call(self) -> _Call[Any] | None:
        return self._calls.get(timeout=IDLE_SECONDS)

    def _next_grouped(self) -> _Call[Any] | None:
        """The next queued call when it is a grouped one, without waiting; None otherwise
        (what was taken instead is served next)."""
        if self._taken:
            return None
        try:
            job = self._calls.get_nowait()
        except queue.Empty:
            return None
        if job is not None and job.grouped:
            return job
        self._taken.append(job)
        return None


def _outcome(job: _Call[Any]) -> tuple[bool, Any]:
    try:
        return True, job.context.run(job.call)
    except BaseException as error:
        return False, error


def _settle(job: _Call[Any], ok: bool, outcome: Any) -> None:
    if ok:
        job.settle(_set_result, outcome)
    else:
        job.settle(_set_exception, outcome)


def _shared(failure: BaseException) -> BaseException:
    """The group's failure for one of its callers: a TemporaryFailure of its own (one
    exception object raised in several tasks would gather their tracebacks)."""
    if isinstance(failure, TemporaryFailure):
        fresh = TemporaryFailure(failure.message, code=failure.code)
        fresh.__cause__ = failure
        return fresh
    return failure
