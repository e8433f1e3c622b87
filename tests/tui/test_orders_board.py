"""The orders board: the replica's open orders, the command line's search, one page at a
time, Enter to open."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.store.queries import list_orders, search_orders
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.screens.orders_board import PAGE, OrdersBoard
from jiedan_cli.tui.widgets.order_summary import OrderPreview
from jiedan_cli.tui.widgets.orders_table import OrdersTable
from tests.store.factories import order, page, put
from tests.tui.conftest import SIZE, offline_app, shows, wait_for
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.anyio


def board(app: JiedanApp) -> OrdersBoard:
    assert isinstance(app.screen, OrdersBoard)
    return app.screen


async def test_the_board_shows_what_list_orders_gives_newest_first(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    conn = open_db(market_db)
    expected = [o["id"] for o in list_orders(conn, limit=PAGE)]
    conn.close()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: board(app).shown_count)
        assert app.screen.query_one(OrdersTable).order_ids == expected
        text = screen_text(app)
        assert f"{len(expected)} open orders" in text
        assert "¥20,000–50,000" in text  # budgets in yuan
        assert "6.7 km" in text  # the repair job in Pudong, from my profile's place


async def test_typing_a_chinese_query_filters_with_the_same_search(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    conn = open_db(market_db)
    expected = [o["id"] for o in search_orders(conn, "网站", PAGE)]
    everything = [o["id"] for o in list_orders(conn, limit=PAGE)]
    conn.close()
    assert 0 < len(expected) < 12
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: board(app).shown_count)
        await pilot.press("slash")
        board(app).query_one("#board-search").value = "网站"  # type: ignore[attr-defined]
        table = app.screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: table.order_ids == expected, what="the search results")
        await shows(pilot, app, f"“网站”: {len(expected)} found")
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.order_ids == everything, what="every order again")


async def test_an_english_word_matches_while_it_is_being_typed(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: board(app).shown_count)
        await pilot.press("slash", "l", "o")
        table = app.screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: table.order_ids == ["o03"], what="品牌 LOGO 设计 for “lo”")


async def test_a_wide_terminal_previews_the_highlighted_order(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: board(app).shown_count)
        preview = app.screen.query_one(OrderPreview)
        assert preview.display
        assert app.screen.query_one(OrdersTable).order_ids[:2] == ["o20", "o12"]
        await wait_for(pilot, lambda: "You posted this order" in screen_text(app))  # o20
        await pilot.press("down")
        await wait_for(pilot, lambda: "Flutter APP 开发：需求详见附件" in screen_text(app))
        await shows(pilot, app, "No bid from you yet")
    narrow = make_app()
    async with narrow.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: board(narrow).shown_count)
        assert not narrow.screen.query_one(OrderPreview).display


async def test_enter_opens_the_highlighted_order(make_app: Callable[..., JiedanApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: board(app).shown_count)
        table = app.screen.query_one(OrdersTable)
        second = table.order_ids[1]
        await pilot.press("down", "enter")
        detail = await wait_for(pilot, lambda: isinstance(app.screen, OrderDetail) and app.screen)
        assert detail.order_id == second
        await wait_for(pilot, lambda: detail.loaded is not None)
        await pilot.press("escape")
        assert isinstance(app.screen, OrdersBoard)


async def test_the_next_page_is_read_when_the_cursor_nears_the_end(tmp_path: Path) -> None:
    db = tmp_path / "big.db"
    conn = open_db(db)
    conn.execute("UPDATE sync_state SET user_id = 'me'")
    many = [put("order", order(f"o{n:04d}", f"订单 {n}")) for n in range(PAGE + 50)]
    apply_page(conn, page(*many))
    conn.close()
    app = offline_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: board(app).shown_count)
        table = app.screen.query_one(OrdersTable)
        assert table.row_count == PAGE
        await pilot.press("ctrl+end")
        await wait_for(pilot, lambda: table.row_count == PAGE + 50, what="the second page")
        assert table.order_ids[0] == f"o{PAGE + 49:04d}"  # appended: the top is unchanged


async def test_orders_posted_since_the_last_look_are_marked_new(market_db: Path) -> None:
    from jiedan_cli.tui.remembered import load_last_look, save_last_look

    save_last_look("2026-03-10T12:00:00Z")  # o11, o12 and o20 came after it
    app = offline_app(market_db, remember=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: board(app).shown_count)
        table = app.screen.query_one(OrdersTable)
        assert table.rows.new_ids == {"o11", "o12", "o20"}
        assert screen_text(app).count("●") == 3
    assert load_last_look() == "2026-03-15T10:00:00Z"  # next time, these are not new


async def test_n_sorts_the_board_by_distance_and_back(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    conn = open_db(market_db)
    newest = [o["id"] for o in list_orders(conn, limit=PAGE)]
    conn.close()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: board(app).shown_count)
        table = app.screen.query_one(OrdersTable)
        assert newest.index("o09") < newest.index("o07")  # newest first, o09 before o07
        await pilot.press("n")
        # located orders only, nearest first: o07 (6.7 km) before o09 (8.2 km)
        await wait_for(pilot, lambda: table.order_ids == ["o07", "o09"], what="nearest first")
        await shows(pilot, app, "2 open orders with a place, nearest first")
        await pilot.press("n")
        await wait_for(pilot, lambda: table.order_ids == newest, what="newest first again")
