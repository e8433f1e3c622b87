"""My work, Earnings, Points and Client mode over the fixed market, offline: each shows what
the store's functions say, and Client mode's keys queue award / fund / accept (after a yes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable

from jiedan_cli.store.db import open_db
from jiedan_cli.store.earnings import earnings_summary
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.formatting import yuan
from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.widgets.confirm_modal import ConfirmModal
from tests.tui.conftest import SIZE, client_mode, shows, wait_for
from tests.tui.helpers import pending_intents, screen_text

pytestmark = pytest.mark.anyio


async def test_my_work_lists_awarded_orders_and_my_bids_by_status(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        bids: DataTable[object] = app.screen.query_one("#bids-table", DataTable)
        await wait_for(pilot, lambda: bids.row_count == 3)
        order_of_rows = [bids.coordinate_to_cell_key((n, 0)).row_key.value for n in range(3)]
        assert order_of_rows == ["b2", "b1", "b3"]  # awarded, submitted, declined
        text = screen_text(app)
        assert "电商详情页设计" in text and "in escrow" in text  # its milestone is funded
        await pilot.press("enter")  # the awarded order, to deliver it
        detail = await wait_for(pilot, lambda: isinstance(app.screen, OrderDetail) and app.screen)
        assert detail.order_id == "o05"


async def test_earnings_shows_the_store_summary_and_earnings_by_month(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    conn = open_db(market_db)
    summary = earnings_summary(conn)
    conn.close()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: "2026-02" in screen_text(app))
        text = screen_text(app)
    for key in ("available_fen", "pending_fen", "lifetime_fen", "fees_fen"):
        assert yuan(summary[key]) in text
    assert "-¥3,000.00" in text  # the withdrawal, in the ledger


async def test_points_shows_the_balance_and_the_way_to_the_next_tier(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: "1,210 points" in screen_text(app))
        text = screen_text(app)
    assert "普通 regular   ·   1 more order to 银牌" in text  # the volume is there already
    assert "4 of 5  80%" in text  # completed orders: one short of silver


async def test_client_mode_awards_the_highlighted_bid(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        assert screen.order_id == "o20"
        await shows(pilot, app, "专业扫描仪")  # its bids, beside it
        await pilot.press("tab", "down", "a")  # the second bid: f-1's
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="asked first")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: (screen._order() or {}).get("status") == "awarded",
            what="the award shown at once",
        )
        assert (screen._order() or {}).get("sync_state") == "pending"
    assert pending_intents(market_db) == [("award_bid", {"order_id": "o20", "bid_id": "b20a"})]


async def test_client_mode_accepts_a_delivery(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await client_mode(app, pilot)
        await pilot.press("down")  # o21, delivered
        await wait_for(pilot, lambda: "accepts the delivery" in screen_text(app))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="asked first")
        await pilot.press("y")
        await wait_for(pilot, lambda: pending_intents(market_db))
    assert pending_intents(market_db) == [("accept_order", {"order_id": "o21"})]


async def test_client_mode_does_not_offer_to_fund_an_open_order(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        assert "f" not in screen.active_bindings  # o20 is open: nothing to fund yet
        await pilot.press("f")
        await pilot.pause(0.2)
        assert "funds the escrow" not in screen_text(app)
    assert pending_intents(market_db) == []


async def test_the_daily_check_in_from_the_points_screen(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        screen = app.screen
        await shows(pilot, app, "签到 not checked in today: i checks in for +5 points")
        assert "i" in screen.active_bindings
        await pilot.press("i")
        await shows(pilot, app, "签到 ✓ checked in today   ·   1 day in a row")
        # the streak calendar: four weeks from Monday 02-23; today (Friday 03-20) checked
        await shows(pilot, app, "03-16  □  □  □  □  ■  ·  ·")
        await wait_for(pilot, lambda: "i" not in screen.active_bindings, what="i gone")
    assert pending_intents(market_db) == [("check_in", {"day": "2026-03-20"})]
