"""SQLite writers take turns as coroutines (api/deps.in_write_turn): one write at a time, in
the order they came, and a write that waits longer than a write may wait is a 503."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anyio
import pytest

from jiedan_cli.domain.errors import TemporaryFailure
from jiedan_cli.server.api import deps
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
