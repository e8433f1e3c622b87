"""Every screen at a fixed size over the fixed market (market.py): no network, times in UTC,
a fixed clock. `pytest tests/tui/test_snapshots.py --snapshot-update` accepts a change;
the report (snapshot_report.html) shows the difference."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from jiedan_cli.tui.screens.order_detail import OrderDetail
from tests.tui.conftest import SIZE, offline_app, wait_for

Compare = Callable[..., bool]
Before = Callable[[Pilot[Any]], Awaitable[None]]


def settle(
    *keys: str,
    ready: Callable[[Any], Any] | None = None,
    loaded: Callable[[Any], Any] | None = None,
) -> Before:
    """Once the board has drawn (and `loaded(app)`, when given), press `keys`, then wait
    until `ready(screen)` and every worker is done."""

    async def before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: getattr(app.screen, "shown_count", 1))
        if loaded is not None:
            await wait_for(pilot, lambda: loaded(app))
        if keys:
            await pilot.press(*keys)
        if ready is not None:
            await wait_for(pilot, lambda: ready(app.screen))
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        for field in app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would make the picture flicker

    return before


def test_orders_board(snap_compare: Compare, market_db: Path) -> None:
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=settle())


def test_orders_board_at_80x24(snap_compare: Compare, market_db: Path) -> None:
    assert snap_compare(offline_app(market_db), terminal_size=(80, 24), run_before=settle())


def test_orders_board_at_200x50_with_the_preview(snap_compare: Compare, market_db: Path) -> None:
    assert snap_compare(offline_app(market_db), terminal_size=(200, 50), run_before=settle("down"))


def test_orders_board_searching(snap_compare: Compare, market_db: Path) -> None:
    async def search(pilot: Pilot[Any]) -> None:
        await settle()(pilot)
        pilot.app.screen.query_one("#board-search", Input).value = "设计"
        await wait_for(pilot, lambda: pilot.app.screen.shown_count > 1)
        await settle()(pilot)

    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=search)


def test_orders_board_light_theme(snap_compare: Compare, market_db: Path) -> None:
    app = offline_app(market_db)
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=SIZE, run_before=settle())


def _detail(order_id: str, *keys: str) -> Before:
    async def before(pilot: Pilot[Any]) -> None:
        await settle()(pilot)
        screen = OrderDetail(order_id)
        await pilot.app.push_screen(screen)
        await settle(*keys, ready=lambda s: s.loaded is not None)(pilot)

    return before


def test_order_detail_with_my_bid(snap_compare: Compare, market_db: Path) -> None:
    before = _detail("o02")
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_order_detail_messages(snap_compare: Compare, market_db: Path) -> None:
    before = _detail("o02", "m")
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_order_detail_bid_form(snap_compare: Compare, market_db: Path) -> None:
    before = _detail("o12")
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_order_detail_delivery(snap_compare: Compare, market_db: Path) -> None:
    before = _detail("o05")
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_my_work(snap_compare: Compare, market_db: Path) -> None:
    before = settle("2", ready=lambda s: s.query_one("#bids-table").row_count)
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_earnings(snap_compare: Compare, market_db: Path) -> None:
    before = settle("3", ready=lambda s: s.query_one("#ledger-table").row_count)
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_points(snap_compare: Compare, market_db: Path) -> None:
    before = settle("4", ready=lambda s: s.query_one("#points-table").row_count)
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_points_redeem_dialog(snap_compare: Compare, market_db: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await settle("4", ready=lambda s: s.query_one("#points-table").row_count)(pilot)
        await settle("u", ready=lambda s: s.query("#form-points"))(pilot)

    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_client_mode(snap_compare: Compare, market_db: Path) -> None:
    before = settle("5", ready=lambda s: s.query_one("#client-bids").row_count)
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_rejected_operations(snap_compare: Compare, market_db: Path) -> None:
    from jiedan_cli.store.db import open_db
    from tests.tui.test_shell import _queue_and_refuse

    _queue_and_refuse(market_db, "order is awarded; bids are taken only while it is open")
    conn = open_db(market_db)
    conn.execute("UPDATE outbox SET created_at = '2026-03-20T09:00:00Z'")  # fixed for the picture
    conn.close()
    # `r` lists what the dashboard has read of the outbox: read in the background, after the
    # board (under load, a press before it opened an empty list)
    before = settle(
        "r",
        loaded=lambda app: app.sync_view.outbox.rejected,
        ready=lambda s: type(s).__name__ == "RejectedOperations",
    )
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


# ---- every section in the light theme, and on a big terminal -----------------------------------

SECTIONS = {  # key → a table whose rows mean the section has drawn
    "2": "#bids-table",
    "3": "#ledger-table",
    "4": "#points-table",
    "5": "#client-bids",
}


def _section(key: str) -> Before:
    return settle(key, ready=lambda s: s.query_one(SECTIONS[key]).row_count)


@pytest.mark.parametrize("key", list(SECTIONS))
def test_sections_light_theme(snap_compare: Compare, market_db: Path, key: str) -> None:
    app = offline_app(market_db)
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=SIZE, run_before=_section(key))


@pytest.mark.parametrize("key", ["3", "4"])  # My work and Client have theirs in their own files
def test_sections_at_200x50(snap_compare: Compare, market_db: Path, key: str) -> None:
    assert snap_compare(offline_app(market_db), terminal_size=(200, 50), run_before=_section(key))


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_order_detail_small_and_large(
    snap_compare: Compare, market_db: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(offline_app(market_db), terminal_size=size, run_before=_detail("o05"))


def test_order_detail_light_theme(snap_compare: Compare, market_db: Path) -> None:
    app = offline_app(market_db)
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=SIZE, run_before=_detail("o02", "m"))


def test_sign_in_dialog(snap_compare: Compare, tmp_path: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await settle()(pilot)
        pilot.app.action_sign_in()  # type: ignore[attr-defined]
        await settle(ready=lambda s: type(s).__name__ == "FormModal")(pilot)

    app = offline_app(tmp_path / "fresh.db", server="http://127.0.0.1:8700")
    assert snap_compare(app, terminal_size=SIZE, run_before=before)
