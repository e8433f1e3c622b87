"""The app shell: sections on keys and in the command palette, the sync line, and the
notice when the server refused an operation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.command import CommandPalette

from jiedan_cli.store import outbox
from jiedan_cli.store.db import open_db
from jiedan_cli.store.transaction import transaction
from jiedan_cli.store.verdicts import verdict_of
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.earnings import Earnings
from jiedan_cli.tui.screens.my_work import MyWork
from jiedan_cli.tui.screens.orders_board import OrdersBoard
from jiedan_cli.tui.screens.rejected import RejectedOperations
from jiedan_cli.tui.widgets.section_bar import SectionBar
from tests.tui.conftest import SIZE, offline_app, shows, wait_for
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.anyio


async def test_the_section_bar_names_every_section_and_a_click_switches(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        bar = screen_text(app).splitlines()[0]
        assert "1 Orders 2 My work 3 Earnings 4 Points 5 Client" in bar
        column = bar.index("3 Earnings")
        await pilot.click(SectionBar, offset=(column + 2, 0))  # 接单 takes two cells a character
        await wait_for(pilot, lambda: isinstance(app.screen, Earnings), what="Earnings")
        footer = screen_text(app).splitlines()[-1]
        assert "Withdraw" in footer and "q Quit" in footer  # the section keys leave room


async def test_number_keys_switch_sections_and_the_sync_line_stays(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, OrdersBoard)
        await pilot.press("2")
        assert isinstance(app.screen, MyWork)
        await pilot.press("3")
        assert isinstance(app.screen, Earnings)
        await wait_for(pilot, lambda: "last sync 03-20 09:30" in screen_text(app))
        await shows(pilot, app, "offline mode")
        await pilot.press("1")
        assert isinstance(app.screen, OrdersBoard)


async def test_the_command_palette_offers_every_section(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"earnings")
        await wait_for(pilot, lambda: "Go to Earnings" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Earnings))


def _queue_and_refuse(db: Path, reason: str) -> str:
    conn = open_db(db)
    with transaction(conn):
        op = outbox.enqueue(
            conn, "place_bid", {"id": "bx", "order_id": "o09", "amount_fen": 100, "days": 1},
            "bid", "bx",
        )  # fmt: skip
    outbox.mark_rejected(conn, op.seq, code="order_awarded", reason=reason)
    conn.close()
    return op.op_id


async def test_a_refused_operation_is_announced_and_can_be_reviewed(market_db: Path) -> None:
    _queue_and_refuse(market_db, "order is awarded; bids are taken only while it is open")
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.outbox.rejected)
        notes = [n for n in app._notifications if n.severity == "error"]
        assert len(notes) == 1 and "order is awarded" in notes[0].message
        await shows(pilot, app, "1 rejected")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RejectedOperations))
        await wait_for(pilot, lambda: "taken only while it is open" in screen_text(app))
        await pilot.press("escape")
        assert isinstance(app.screen, OrdersBoard)


async def test_refusals_once_reviewed_are_put_away_with_d(market_db: Path) -> None:
    op_id = _queue_and_refuse(market_db, "order is awarded; bids are taken only while it is open")
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        await shows(pilot, app, "1 rejected")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RejectedOperations))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, OrdersBoard))
        await shows(pilot, app, "0 rejected")
    conn = open_db(market_db)
    try:  # out of the list, and the bid is still the refused one
        assert outbox.rejected(conn) == []
        verdict = verdict_of(conn, op_id)
        assert verdict is not None and verdict.rejected
    finally:
        conn.close()


async def test_s_in_offline_mode_says_nothing_is_sent(make_app: Callable[..., JiedanApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert any("Offline mode" in n.message for n in app._notifications)


async def test_without_a_sign_in_the_sync_line_says_so_and_the_replica_still_works(
    market_db: Path,
) -> None:
    app = offline_app(market_db, background_sync=True)  # JIEDAN_HOME is empty: no token
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "press l to sign in" in screen_text(app), what="the hint")
        await shows(pilot, app, "signed out")
        assert isinstance(app.screen, OrdersBoard)
        await wait_for(pilot, lambda: app.screen.shown_count)  # type: ignore[attr-defined]


def test_a_long_pull_is_reported_about_once_a_second_and_a_quick_one_not_at_all() -> None:
    from jiedan_cli.sync.progress import SyncProgress
    from jiedan_cli.tui.background import pulling
    from jiedan_cli.tui.messages import SyncWorking
    from jiedan_cli.tui.widgets.sync_indicator import SyncView, describe

    posted: list[object] = []
    now = [0.0]
    progressed = pulling(posted.append, every=1.0, clock=lambda: now[0])
    for at, phase, done in [
        (0.0, "push", 3),  # pushes are not pulls
        (0.1, "pull", 500),
        (0.6, "pull", 1000),
        (1.2, "pull", 1500),
        (1.7, "pull", 2000),
        (2.3, "pull", 2500),
    ]:
        now[0] = at
        progressed(SyncProgress(phase, done, None))
    assert [m.pulled for m in posted if isinstance(m, SyncWorking)] == [1500, 2500]
    quick: list[object] = []
    once = pulling(quick.append, every=1.0, clock=lambda: 0.2)
    once(SyncProgress("pull", 120, None))
    assert quick == []
    line = describe(SyncView(connection="online", pulled=12_345), None).plain
    assert "pulling… 12,345 changes" in line


async def test_the_theme_picked_is_kept_for_the_next_run(market_db: Path) -> None:
    first = offline_app(market_db, remember=True)
    async with first.run_test(size=SIZE) as pilot:
        assert first.theme == "textual-dark"
        first.theme = "textual-light"  # as ctrl+p → Theme does
        await pilot.pause()
    again = offline_app(market_db, remember=True)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "textual-light"
    untouched = offline_app(market_db)  # tests remember nothing
    async with untouched.run_test(size=SIZE) as pilot:
        assert untouched.theme == "textual-dark"


async def test_a_long_pull_shows_on_the_sync_line_and_the_board_rereads(
    make_app: Callable[..., JiedanApp],
) -> None:
    from jiedan_cli.tui.messages import SyncWorking

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        board = app.screen
        assert isinstance(board, OrdersBoard)
        await wait_for(pilot, lambda: board.shown_count)
        drawn = board.shown_count
        app.post_message(SyncWorking(12_345))
        app.read_outbox()  # an action's re-read meanwhile keeps the pull's progress shown
        await wait_for(pilot, lambda: "⇣ pulling… 12,345 changes" in screen_text(app))
        await shows(pilot, app, "● online")
        await wait_for(pilot, lambda: board.shown_count > drawn, what="the board read again")
