"""Terminal injection in the dashboard (issue 9, item 11): the fixed market with every text
another user wrote (titles, descriptions, bid notes, messages, milestone titles, delivery
notes and file names, revision notes, reviews, names, cities, a refusal's reason) made
hostile. Each screen is composited and written as Textual writes to the terminal; nothing
the data carried may reach it as a control sequence, and markup in it is shown literally
(a malformed tag must not bring the dashboard down either)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot

from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.screens.rejected import RejectedOperations
from tests.store.factories import page
from tests.tui.conftest import offline_app, wait_for
from tests.tui.helpers import screen_text
from tests.tui.market import ME, SYNCED_AT, changes
from tests.tui.test_shell import _queue_and_refuse

pytestmark = pytest.mark.anyio

# first, so a narrow column still holds it; the markup is well-formed except the last tag
HOSTILE = (
    "\x1b]0;PWNED\x07\x1b[2J\x9b2J\u202e[bold red]R[/bold red]"
    "[link=https://evil.example]L[/link][/oops]"
)
SHOWN = "\\x1b]0;PWNED\\x07"  # how the dashboard shows the start of it
# What a terminal would obey. (Textual writes CSI sequences of its own, never these.)
RAW = ("\x1b]", "\x1b[2J", "\x07", "\r", "\x9b", "\u202e")
TEXT_FIELDS = {
    "order": ("title", "description"),
    "bid": ("message",),
    "message": ("text",),
    "milestone": ("title",),
    "delivery": ("note",),
    "order_event": ("note",),
    "review": ("text",),
    "profile": ("name", "city"),
}


def _hostile(change: dict[str, Any]) -> dict[str, Any]:
    data = dict(change["data"])
    for field in TEXT_FIELDS.get(change["entity"], ()):
        if isinstance(data.get(field), str):
            data[field] = HOSTILE + data[field]
    if change["entity"] == "delivery":
        data["files"] = [{**f, "name": HOSTILE + f["name"]} for f in data["files"]]
    return {**change, "data": data}


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.db"
    conn = open_db(path)
    try:
        conn.execute("UPDATE sync_state SET user_id = ?", (ME,))
        apply_page(conn, page(*map(_hostile, changes())), now=SYNCED_AT)
    finally:
        conn.close()
    _queue_and_refuse(path, HOSTILE + "order is awarded")
    return path


def written_to_the_terminal(app: JiedanApp) -> str:
    """The screen as the driver writes it: every segment with its styles, links included."""
    width, height = app.size
    console = Console(
        file=io.StringIO(),
        width=width,
        height=height,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    written = console.file.getvalue()
    assert isinstance(written, str)
    return written


async def settled(pilot: Pilot[Any], ready: Callable[[], Any]) -> None:
    await wait_for(pilot, ready)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


def assert_shown_as_text(app: JiedanApp, where: str) -> None:
    written = written_to_the_terminal(app)
    assert [raw for raw in RAW if raw in written] == [], where
    assert "\x1b]8;" not in written, where  # no link (to evil.example) was made
    assert SHOWN in screen_text(app), where


async def test_every_screen_shows_hostile_text_as_text(hostile_db: Path) -> None:
    app = offline_app(hostile_db)
    async with app.run_test(size=(160, 50)) as pilot:
        await settled(pilot, lambda: getattr(app.screen, "shown_count", 0))
        await settled(pilot, lambda: app.sync_view.outbox.rejected)
        assert_shown_as_text(app, "orders board, its preview and the refusal's toast")
        app.clear_notifications()
        for key, table in (("2", "#bids-table"), ("3", "#ledger-table"), ("5", "#client-bids")):
            await pilot.press(key)
            await settled(pilot, lambda t=table: app.screen.query_one(t).row_count)  # type: ignore[misc]
            assert_shown_as_text(app, f"section {key}")
        await pilot.press("4")
        await settled(pilot, lambda: app.screen.query_one("#points-table").row_count)
        assert_shown_as_text(app, "points and profile")
        await pilot.press("1")
        for order_id in ("o02", "o05", "o30", "old2"):
            detail = OrderDetail(order_id)
            await app.push_screen(detail)
            await settled(pilot, lambda d=detail: d.loaded is not None)  # type: ignore[misc]
            assert_shown_as_text(app, f"order {order_id}")
            assert "[link=https://evil.example]L[/link][/oops]" in screen_text(app)
            app.pop_screen()
        await pilot.press("r")
        await settled(pilot, lambda: isinstance(app.screen, RejectedOperations))
        assert_shown_as_text(app, "rejected operations")
