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
thread ends after IDLE_SECONDS without work and is started again by the next call."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from jiedan_cli.domain.errors import TemporaryFailure

T = TypeVar("T")
IDLE_SECONDS = 30.0


class _Call(Generic[T]):
    __slots__ = ("call", "context", "future", "lock", "loop", "state")

    def __init__(self, call: Callable[[], T], future: asyncio.Future[T]) -> None:
        self.call = call
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
    """Runs the calls given to `run` one at a time on one thread, in the order given."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._calls: queue.SimpleQueue[_Call[Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    async def run(self, call: Callable[[], T], *, wait: float) -> T:
        job: _Call[T] = _Call(call, asyncio.get_running_loop().create_future())
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

    def _serve(self) -> None:
        while True:
            try:
                job = self._calls.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._calls.empty():  # no call slipped in: the next one starts a thread
                        self._thread = None
                        return
                continue
            if not job.start():
                continue
            try:
                value = job.context.run(job.call)
            except BaseException as error:
                job.settle(_set_exception, error)
            else:
                job.settle(_set_result, value)
