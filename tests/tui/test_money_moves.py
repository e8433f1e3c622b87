"""Client mode moves money only after a yes (issue #10, item 5): award, fund and accept each
open a dialog naming the amount, the other party (by name) and what follows; Esc, n or a
stray Enter (Cancel has the focus) queue nothing; y queues the operation. And no key means
check-in in one section and releasing money in another: check-in is `i`, `c` does nothing
on Points."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.client_mode import ClientMode
from jiedan_cli.tui.widgets.confirm_modal import ConfirmModal
from tests.store.factories import page, put
from tests.tui.conftest import SIZE, client_mode, shows, wait_for
from tests.tui.helpers import pending_intents
from tests.tui.market import SYNCED_AT, at

pytestmark = pytest.mark.anyio


async def asked(app: JiedanApp, pilot: Pilot[Any], key: str) -> str:
    """Press `key`, wait for the dialog, and return what it says."""
    await pilot.press(key)
    modal = await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen)
    assert modal.focused is not None and modal.focused.id == "confirm-no"  # Cancel
    await shows(pilot, app, modal.yes_label)  # drawn
    return " ".join([*modal.question, modal.yes_label])


async def nothing_queued(app: JiedanApp, pilot: Pilot[Any], key: str, db: Path) -> None:
    """After `key` closes the dialog: back on Client mode, and the outbox as it was."""
    before = pending_intents(db)
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, ClientMode), what="the dialog closed")
    await pilot.pause(0.2)
    assert pending_intents(db) == before


async def test_the_award_names_the_freelancer_the_amount_and_the_bids_declined(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        await shows(pilot, app, "专业扫描仪")
        await pilot.press("tab", "down")  # the second bid: 张师傅's, ¥600 in 4 days
        said = await asked(app, pilot, "a")
        assert "Award “家庭相册整理与扫描” to 张师傅 for ¥600.00 in 4 days?" in said
        assert "This declines the other bid." in said
        await nothing_queued(app, pilot, "escape", market_db)
        await asked(app, pilot, "a")
        await nothing_queued(app, pilot, "enter", market_db)  # Cancel has the focus
        assert (screen._order() or {}).get("status") == "open"

        await asked(app, pilot, "a")
        await pilot.press("y")
        await wait_for(pilot, lambda: pending_intents(market_db), what="the award queued")
    assert pending_intents(market_db) == [("award_bid", {"order_id": "o20", "bid_id": "b20a"})]


async def test_funding_says_what_goes_into_escrow_for_whom(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        await shows(pilot, app, "专业扫描仪")
        await pilot.press("tab", "down")
        await asked(app, pilot, "a")
        await pilot.press("y")
        await wait_for(pilot, lambda: "f" in screen.active_bindings, what="fund offered")
        # the award is still queued: the replica has no milestone, so the bid's amount
        said = await asked(app, pilot, "f")
        assert "Pay ¥600.00 into escrow for “家庭相册整理与扫描”?" in said
        assert "张师傅 is paid when you accept the delivery" in said
        await nothing_queued(app, pilot, "n", market_db)
        await asked(app, pilot, "f")
        await pilot.press("y")
        await wait_for(pilot, lambda: len(pending_intents(market_db)) == 2, what="the funding")
    assert [intent for intent, _ in pending_intents(market_db)] == ["award_bid", "fund_order"]


def _delivered_by_wang(db: Path) -> None:
    """o21's freelancer gets a name (王设计) and its milestone, submitted, is in the replica."""
    milestone = {
        "id": "ms21",
        "order_id": "o21",
        "position": 1,
        "title": "全部交付",
        "amount_fen": 320_000,
        "currency": "CNY",
        "status": "submitted",
        "funded_at": at(12),
        "submitted_at": at(14),
        "settled_at": None,
        "created_at": at(11),
        "updated_at": at(14),
    }
    profile = {"user_id": "f-3", "id": "f-3", "name": "王设计", "skills": [], "rating": {}}
    conn = open_db(db)
    try:
        apply_page(conn, page(put("milestone", milestone), put("profile", profile)), now=SYNCED_AT)
    finally:
        conn.close()


async def test_accepting_says_how_much_is_released_to_whom_and_only_y_releases_it(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    _delivered_by_wang(market_db)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        await pilot.press("down")  # o21, delivered
        await wait_for(pilot, lambda: "c" in screen.active_bindings, what="accept offered")
        said = await asked(app, pilot, "c")
        assert "Accept the delivery of “个人简历排版”?" in said
        assert "This releases ¥3,200.00 to 王设计" in said
        assert "Release ¥3,200.00" in said  # the yes button
        await nothing_queued(app, pilot, "escape", market_db)
        await asked(app, pilot, "c")
        await nothing_queued(app, pilot, "enter", market_db)
        await asked(app, pilot, "c")
        await pilot.press("y")
        await wait_for(pilot, lambda: pending_intents(market_db), what="the acceptance")
    assert pending_intents(market_db) == [("accept_order", {"order_id": "o21"})]


async def test_without_the_milestone_yet_the_awarded_bid_is_the_amount(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await client_mode(app, pilot)
        await pilot.press("down")  # o21: its milestone is not in this replica; f-3 unnamed
        said = await asked(app, pilot, "c")
        assert "This releases ¥300.00 to f-3" in said
        await nothing_queued(app, pilot, "escape", market_db)


async def test_the_palette_asks_too(make_app: Callable[..., JiedanApp], market_db: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        await pilot.press("down")
        await wait_for(pilot, lambda: screen.order_id == "o21")
        await pilot.press("ctrl+p")
        await pilot.press(*"验收")
        await shows(pilot, app, "Accept the delivery 验收")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the dialog")
        await nothing_queued(app, pilot, "escape", market_db)


async def test_c_never_checks_in_and_i_does(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        screen = app.screen
        await shows(pilot, app, "签到 not checked in today: i checks in for +5 points")
        assert "c" not in screen.active_bindings and "i" in screen.active_bindings
        await pilot.press("c")
        await pilot.pause(0.2)
        assert pending_intents(market_db) == []
        await pilot.press("i")
        await shows(pilot, app, "签到 ✓ checked in today")
    assert pending_intents(market_db) == [("check_in", {"day": "2026-03-20"})]
