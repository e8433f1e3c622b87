"""Dashboard fixtures: a replica holding the fixed market of market.py (no network), the app
over it with fixed time zone and clock, and a way to wait for what workers post."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.client_mode import ClientMode
from tests.sync.conftest import LiveServer
from tests.tui.market import build_market

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
SIZE = (100, 30)


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio (Textual's loop), through anyio's pytest plugin."""
    return "asyncio"


@pytest.fixture
def market_db(tmp_path: Path) -> Path:
    return build_market(tmp_path / "market.db")


def offline_app(db_path: Path, **options: Any) -> JiedanApp:
    """The dashboard over `db_path` as tests need it: no background sync unless asked, times
    shown in UTC, a fixed clock, no last-look file."""
    options.setdefault("background_sync", False)
    options.setdefault("remember", False)
    return JiedanApp(db_path=db_path, tz=UTC, clock=lambda: NOW, **options)


@pytest.fixture
def make_app(market_db: Path) -> Callable[..., JiedanApp]:
    return lambda **options: offline_app(market_db, **options)


async def wait_for(
    pilot: Pilot[Any], ready: Callable[[], Any], *, timeout: float = 15.0, what: str = ""
) -> Any:
    """Let the app run until `ready()` is truthy (workers post their answers meanwhile)."""
    give_up = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting for {what or ready}")
        await pilot.pause(0.05)
        await asyncio.sleep(0)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real server on a free loopback port, over its own SQLite file."""
    running = LiveServer(f"sqlite:///{tmp_path / 'server.db'}")
    yield running
    running.stop()


async def shows(pilot: Pilot[Any], app: JiedanApp, text: str) -> str:
    """Wait until `text` is painted on the screen (state changes reach the screen a frame later)."""
    from tests.tui.helpers import screen_text

    return str(await wait_for(pilot, lambda: text in screen_text(app) and text, what=repr(text)))


async def client_mode(app: JiedanApp, pilot: Pilot[Any]) -> ClientMode:
    """Client mode (key 5), once it has read my orders."""
    await pilot.press("5")
    screen = app.screen
    assert isinstance(screen, ClientMode)
    await wait_for(pilot, lambda: screen.loaded is not None, what="my orders")
    return screen
