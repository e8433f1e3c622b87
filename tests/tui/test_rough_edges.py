"""The dashboard's rough edges of issue #10, item 18: Client mode gives an order's title the
width the other columns leave (it was cut to 16 cells at 140 columns); the board's wide
preview names the client as the order's view does (it showed an id); wrapped Chinese never
starts a line with closing punctuation (。，」…)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from textual.widgets import DataTable

from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.formatting import NO_LINE_END, NO_LINE_START, wrap_lines
from jiedan_cli.tui.screens.client_mode import TITLE_MIN, title_width
from jiedan_cli.tui.screens.order_detail import OrderDetail
from tests.store.factories import order, page, put
from tests.tui.conftest import client_mode, shows
from tests.tui.helpers import screen_text
from tests.tui.market import ME, SYNCED_AT, at

pytestmark = pytest.mark.anyio

LONG_TITLE = "微信小程序商城开发与后台搭建"  # 28 cells


def _with_long_title(db: Path) -> None:
    conn = open_db(db)
    try:
        posted = order("o22", LONG_TITLE, client_id=ME, created_at=at(19))
        apply_page(conn, page(put("order", posted)), now=SYNCED_AT)
    finally:
        conn.close()


@pytest.mark.parametrize("size", [(140, 40), (80, 24)])
async def test_an_orders_title_takes_the_width_the_other_columns_leave(
    make_app: Callable[..., JiedanApp], market_db: Path, size: tuple[int, int]
) -> None:
    _with_long_title(market_db)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await client_mode(app, pilot)
        table = screen.query_one("#client-orders", DataTable)
        await shows(pilot, app, LONG_TITLE)  # whole, not "微信小程序商城…"
        width, status = (column.width for column in table.ordered_columns[:2])
        assert status == cell_len("delivered")  # the widest status shown
        free = table.size.width - (2 if table.show_vertical_scrollbar else 0)
        assert width == title_width(free, table.cell_padding, status) > TITLE_MIN
        assert cell_len(LONG_TITLE) <= width


async def test_the_wide_preview_names_the_client_as_the_orders_view_does(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(170, 40)) as pilot:
        await shows(pilot, app, "client 小王 · no reviews yet")  # o20, mine, previewed
        await pilot.press("down")  # o12, 李老板's
        await shows(pilot, app, "client 李老板 · ★ 4.6 (12 reviews)")
        assert "client client-1" not in screen_text(app)
        await app.push_screen(OrderDetail("o12"))
        await shows(pilot, app, "client 李老板 · ★ 4.6 (12 reviews)")


PUNCTUATED = "需要接手维护。交付全部源码，后台也要。请估算费用和上线时间，分阶段付款。" * 6


def _starts_badly(line: str) -> bool:
    return bool(line) and line[0] in NO_LINE_START


def test_wrapped_chinese_never_starts_a_line_with_closing_punctuation() -> None:
    text = Text(PUNCTUATED + "「引号」（括号）Python 与 Excel 报告。")
    rich_alone = 0
    for width in range(4, 60):
        lines = [line.plain for line in wrap_lines(text, width)]
        assert not any(_starts_badly(line) for line in lines), width
        assert not any(line.endswith(tuple(NO_LINE_END)) for line in lines), width
        assert all(cell_len(line) <= width for line in lines), width
        assert "".join(lines).replace(" ", "") == text.plain.replace(" ", "")  # nothing lost
        folded = text.wrap(Console(width=200), width, overflow="fold")
        rich_alone += any(_starts_badly(line.plain) for line in folded)
    assert rich_alone > 20  # what Rich's own folding does at most of these widths


async def test_the_preview_and_the_orders_view_wrap_by_the_rule(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    conn = open_db(market_db)
    try:
        described = order("o40", "长描述的订单", description=PUNCTUATED, created_at=at(19, 12))
        apply_page(conn, page(put("order", described)), now=SYNCED_AT)
    finally:
        conn.close()
    app = make_app()
    async with app.run_test(size=(170, 40)) as pilot:
        await shows(pilot, app, "分阶段付款。")  # the newest order, previewed
        assert _rich_alone_starts_badly(app.screen.query_one("#board-preview").content_size.width)
        preview = [line.split("▏")[-1].strip() for line in screen_text(app).splitlines()]
        assert not any(_starts_badly(line) for line in preview)
        await app.push_screen(OrderDetail("o40"))
        await shows(pilot, app, "分阶段付款。")
        width = app.screen.query_one("#detail-description").content_size.width
        assert _rich_alone_starts_badly(width)
        assert not any(_starts_badly(line.strip()) for line in screen_text(app).splitlines())


def _rich_alone_starts_badly(width: int) -> bool:
    """At this width Rich's own folding would start a line with "。" or "，"."""
    folded = Text(PUNCTUATED).wrap(Console(width=200), width, overflow="fold")
    return any(_starts_badly(line.plain) for line in folded)
