"""SQLite writers take turns as coroutines (api/deps.in_write_turn) on the database's writer
thread (api/write_thread.py): one write at a time, in the order they came, a write that waits
longer than a write may wait is a 503, the caller's context is the call's, an error is the
caller's, and the thread ends when idle and comes back with the next write."""

from __future__ import annotations

import contextvars
import threading
import time
from pathlib import Path

import anyio
import pytest

from jiedan_cli.domain.errors import TemporaryFailure
from jiedan_cli.server.api import deps, write_thread
from jiedan_cli.server.db import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_writes_run_one_at_a_time_in_the_order_they_came(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    running, most, order = 0, 0, []
    lock = threading.Lock()

    def write(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)
        order.append(n)
        with lock:
            running -= 1
        return n

    async with anyio.create_task_group() as group:
        for n in range(8):
            group.start_soon(deps.in_write_turn, db, lambda n=n: write(n))
            await anyio.sleep(0.001)  # arrive in this order
    assert most == 1
    assert order == list(range(8))


async def test_waiting_longer_than_a_write_may_wait_is_a_temporary_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'busy.db'}")
    monkeypatch.setattr(deps, "WRITE_WAIT_SECONDS", 0.05)
    outcomes: list[str] = []

    async def second() -> None:
        await anyio.sleep(0.01)  # the slow write holds the turn
        try:
            await deps.in_write_turn(db, lambda: "written")
        except TemporaryFailure:
            outcomes.append("503")

    async with anyio.create_task_group() as group:
        group.start_soon(deps.in_write_turn, db, lambda: time.sleep(0.3))
        group.start_soon(second)
    assert outcomes == ["503"]


async def test_a_write_sees_the_callers_context_and_the_thread_comes_back_after_idling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'idle.db'}")
    monkeypatch.setattr(write_thread, "IDLE_SECONDS", 0.05)
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    request_id.set("req-1")
    first = await deps.in_write_turn(db, lambda: (request_id.get(), threading.current_thread()))
    assert first[0] == "req-1" and first[1] is not threading.current_thread()
    await anyio.sleep(0.3)  # the writer thread ends when idle …
    assert not first[1].is_alive()
    again = await deps.in_write_turn(db, lambda: request_id.get())  # … and a call restarts it
    assert again == "req-1"

    def broken() -> None:
        raise ValueError("raised in the writer thread")

    with pytest.raises(ValueError, match="writer thread"):
        await deps.in_write_turn(db, broken)
    assert await deps.in_write_turn(db, lambda: "still serving") == "still serving"
