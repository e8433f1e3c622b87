"""The order screen, offline: a bid, a message and a delivery are saved through
store.actions and show at once as pending; bad input is refused beside its field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from jiedan_cli.store import outbox
from jiedan_cli.store.db import open_db
from jiedan_cli.store.queries import get_order, list_messages
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.widgets.bid_form import BidForm
from jiedan_cli.tui.widgets.field_error import FieldError
from tests.tui.conftest import SIZE, shows, wait_for
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.anyio


async def open_order(app: JiedanApp, pilot: object, order_id: str) -> OrderDetail:
    detail = OrderDetail(order_id)
    await app.push_screen(detail)
    await wait_for(pilot, lambda: detail.loaded is not None)  # type: ignore[arg-type]
    return detail


def queued(db: Path) -> list[str]:
    conn = open_db(db)
    try:
        return [op.intent for op in outbox.pending(conn)]
    finally:
        conn.close()


def fill(detail: OrderDetail, **values: str) -> None:
    for name, value in values.items():
        detail.query_one(f"#{name}", Input).value = value


async def test_a_bid_placed_offline_shows_as_pending(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o12")
        await wait_for(pilot, lambda: detail.query(BidForm))
        fill(detail, **{"bid-amount": "28000.50", "bid-days": "30", "bid-message": "三年 Flutter"})
        detail.query_one("#bid-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "⇡ pending" in screen_text(app), what="the pending bid")
        await shows(pilot, app, "¥28,000.50 in 30 days")
        await wait_for(pilot, lambda: "1 pending" in screen_text(app))
    assert queued(market_db) == ["place_bid"]
    conn = open_db(market_db)
    mine = get_order(conn, "o12")["my_bid"]  # type: ignore[index]
    conn.close()
    assert (mine["amount_fen"], mine["days"], mine["sync_state"]) == (2_800_050, 30, "pending")


async def test_a_bad_amount_is_explained_beside_the_field_and_nothing_is_saved(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o12")
        await wait_for(pilot, lambda: detail.query(BidForm))
        fill(detail, **{"bid-amount": "12.345", "bid-days": "400"})
        amount_error = detail.query_one("#bid-amount-error", FieldError)
        await wait_for(pilot, lambda: amount_error.message)
        assert "not an amount in yuan" in amount_error.message
        detail.query_one("#bid-submit").press()  # type: ignore[attr-defined]
        days_error = detail.query_one("#bid-days-error", FieldError)
        await wait_for(pilot, lambda: days_error.message)
        assert "1 to 365" in days_error.message
    assert queued(market_db) == []


async def test_an_amount_far_below_the_budget_gets_a_word_but_is_not_refused(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    conn = open_db(market_db)
    order = get_order(conn, "o12")
    conn.close()
    assert order is not None
    inside = order["budget_min_fen"] // 100 + 1  # yuan, just inside the budget
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o12")
        await wait_for(pilot, lambda: detail.query(BidForm))
        note = detail.query_one("#bid-amount-note", FieldError)
        fill(detail, **{"bid-amount": "1", "bid-days": "3"})
        await wait_for(pilot, lambda: note.message, what="the note under the amount")
        assert note.message.startswith("¥1.00 is far below the client's budget (¥")
        fill(detail, **{"bid-amount": str(inside)})
        await wait_for(pilot, lambda: not note.message, what="the note gone")
        fill(detail, **{"bid-amount": "1"})
        await wait_for(pilot, lambda: note.message)
        detail.query_one("#bid-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "⇡ pending" in screen_text(app), what="the bid placed")
    assert queued(market_db) == ["place_bid"]


async def test_a_bid_the_replica_knows_is_impossible_is_refused_offline(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    """o02 already has my live bid: the form updates it; placing a second is refused by
    store.actions with the server's reason (here: asked for directly)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o02")
        form = await wait_for(pilot, lambda: detail.query(BidForm) and detail.query_one(BidForm))
        assert form.bid is not None and form.bid["id"] == "b1"  # the update form, pre-filled
        assert detail.query_one("#bid-amount", Input).value == "12000.00"
        fill(detail, **{"bid-days": "15"})
        detail.query_one("#bid-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "in 15 days" in screen_text(app), what="the changed bid")
    assert queued(market_db) == ["update_bid"]


async def test_a_message_is_sent_into_the_outbox_and_shown_pending(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o02")
        await pilot.press("m")  # to the compose box, scrolled into view with the thread
        await wait_for(pilot, lambda: "商品管理、订单和优惠券" in screen_text(app))
        detail.query_one("#compose", Input).value = "好的，明天给您方案"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "明天给您方案  ⇡ pending" in screen_text(app))
        assert detail.query_one("#compose", Input).value == ""
    conn = open_db(market_db)
    texts = [m["text"] for m in list_messages(conn, "o02")]
    conn.close()
    assert texts[-1] == "好的，明天给您方案"


async def test_an_empty_message_is_refused_beside_the_box(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o02")
        await pilot.press("m", "enter")
        error = detail.query_one("#compose-error", FieldError)
        await wait_for(pilot, lambda: error.message)
        assert "must not be empty" in error.message
    assert queued(market_db) == []


async def test_the_awarded_freelancer_delivers_with_a_file(
    make_app: Callable[..., JiedanApp], market_db: Path, tmp_path: Path
) -> None:
    work = tmp_path / "详情页.psd"
    work.write_bytes(b"layers" * 100)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o05")
        await wait_for(pilot, lambda: detail.query("#deliver-note"))
        fill(detail, **{"deliver-note": "详情页三张，PSD 源文件", "deliver-files": str(work)})
        detail.query_one("#deliver-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: queued(market_db) == ["deliver"], what="the delivery")
    conn = open_db(market_db)
    args = outbox.pending(conn)[0].args
    conn.close()
    assert args["note"] == "详情页三张，PSD 源文件"
    assert args["files"] == [
        {"name": "详情页.psd", "size": 600, "sha256": args["files"][0]["sha256"]}
    ]
    assert len(args["files"][0]["sha256"]) == 64


async def test_withdrawing_my_bid(make_app: Callable[..., JiedanApp], market_db: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o02")
        detail.query_one("#withdraw").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "withdrawn" in screen_text(app), what="the withdrawn bid")
    assert queued(market_db) == ["withdraw_bid"]
