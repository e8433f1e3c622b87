"""The command palette finds actions by their Chinese names too (issue #10, item 18): what a
user types through an input method — 签到, 提现, 发布, 投标, 交付, 验收, 评价 — finds the
command, and running it does what the key does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot

from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.widgets.form_modal import FormModal
from tests.tui.conftest import SIZE, shows, wait_for
from tests.tui.helpers import pending_intents

pytestmark = pytest.mark.anyio


async def _run(app: JiedanApp, pilot: Pilot[Any], typed: str, title: str) -> None:
    """Open the palette, type `typed` (one character at a time, as an input method sends
    them), see `title` offered, and run it."""
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*typed)
    await shows(pilot, app, title)
    await pilot.press("enter")


async def test_check_in_is_found_as_qiandao_and_checks_in(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _run(app, pilot, "签到", "Check in 签到")
        await wait_for(pilot, lambda: pending_intents(market_db), what="the check-in")
        assert app.current_mode == "points"
    assert pending_intents(market_db) == [("check_in", {"day": "2026-03-20"})]


@pytest.mark.parametrize(
    ("typed", "title", "dialog"),
    [
        ("提现", "Withdraw earnings 提现", "Withdraw"),
        ("发布", "New order 发布订单", "New order"),
    ],
)
async def test_a_chinese_name_opens_the_actions_dialog(
    make_app: Callable[..., JiedanApp], typed: str, title: str, dialog: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _run(app, pilot, typed, title)
        form = await wait_for(pilot, lambda: isinstance(app.screen, FormModal) and app.screen)
        assert form.form_title.startswith(dialog)


async def test_an_orders_moves_are_found_by_their_chinese_names(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(OrderDetail("o03"))  # open, no bid of mine: the bid form
        detail = app.screen
        await wait_for(pilot, lambda: detail.query("#bid-amount"), what="the bid form")
        await _run(app, pilot, "投标", "Bid 投标")
        await wait_for(pilot, lambda: detail.query_one("#bid-amount").has_focus)
