"""The work on an order, offline over the fixed market and once against a real server: My
work shows the highlighted order's milestones, history and the revision the client asked
for, and delivers it (`d`); an order's parties review it once completed (`v`) and dispute it
while in progress (`x`). Every answer goes through store.actions and shows at once as
pending; bad input is refused inside the dialog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Input

from jiedan_cli.domain.errors import Conflict
from jiedan_cli.store import actions, outbox
from jiedan_cli.store.db import open_db
from jiedan_cli.store.queries import get_order
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.my_work import MyWork
from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.widgets.field_error import FieldError
from jiedan_cli.tui.widgets.form_modal import FormModal
from tests.sync.conftest import LiveServer
from tests.tui.conftest import SIZE, offline_app, shows, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import api, post_order, replica_of

pytestmark = pytest.mark.anyio


def queued(db: Path) -> list[tuple[str, dict[str, Any]]]:
    conn = open_db(db)
    try:
        return [(op.intent, op.args) for op in outbox.pending(conn)]
    finally:
        conn.close()


async def my_work(app: JiedanApp, pilot: Any) -> MyWork:
    await pilot.press("2")
    screen = app.screen
    assert isinstance(screen, MyWork)
    table: DataTable[Any] = screen.query_one("#awarded-table", DataTable)
    await wait_for(pilot, lambda: table.row_count == 4, what="the orders awarded to me")
    return screen


async def open_order(app: JiedanApp, pilot: Any, order_id: str) -> OrderDetail:
    detail = OrderDetail(order_id)
    await app.push_screen(detail)
    await wait_for(pilot, lambda: detail.loaded is not None, what=f"order {order_id}")
    return detail


async def dialog(app: JiedanApp, pilot: Any, key: str) -> FormModal:
    await pilot.press(key)
    return await wait_for(  # type: ignore[no-any-return]
        pilot, lambda: isinstance(app.screen, FormModal) and app.screen, what="the dialog"
    )


def fill(form: FormModal, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#form-{name}", Input).value = value


def field_error(form: FormModal, name: str) -> str:
    return form.query_one(f"#form-{name}-error", FieldError).message


# ---- My work -----------------------------------------------------------------------------------


async def test_my_work_shows_the_highlighted_orders_milestones_and_the_revision_asked(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await my_work(app, pilot)
        await wait_for(pilot, lambda: "全部交付" in screen_text(app), what="o05's milestone")
        text = screen_text(app)
        assert "1. 全部交付  ¥2,500.00  in escrow  funded 03-06" in text
        assert "nothing yet" in text  # o05 has no history
        assert "Revision asked" not in text

        await pilot.press("down")  # o30: the client sent the delivery back
        assert screen.highlighted()["id"] == "o30"  # type: ignore[index]
        await wait_for(pilot, lambda: "Revision asked" in screen_text(app))
        text = screen_text(app)
        assert "Revision asked: 主色调换成品牌蓝，底部导航加“我的”入口  03-16 10:30" in text
        assert "首页与个人中心  ¥1,500.00  in escrow, revising  delivered 03-14" in text
        assert "you delivered: 首页初稿与切图  [home-v1.fig, slices.zip]" in text
        assert "the client asked for a revision" in text
        row = screen.query_one("#awarded-table", DataTable).get_row("o30")
        assert str(row[1]) == "revising"

        await pilot.press("down")  # old4: completed, paid out
        await wait_for(pilot, lambda: "settled 03-10" in screen_text(app))
        assert "Revision asked" not in screen_text(app)
        assert not screen.check_action("deliver", ())  # nothing to deliver on it


async def test_deliver_from_my_work_queues_the_delivery_and_the_order_shows_pending(
    make_app: Callable[..., JiedanApp], market_db: Path, tmp_path: Path
) -> None:
    work = tmp_path / "详情页 v2.psd"
    work.write_bytes(b"layers" * 1000)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await my_work(app, pilot)
        await pilot.press("down")  # o30, revising
        await wait_for(pilot, lambda: screen.check_action("deliver", ()))
        form = await dialog(app, pilot, "d")
        fill(form, note="按意见改好了：品牌蓝，加了“我的”入口", files=f"'{work}'")
        form.query_one("#form-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: queued(market_db), what="the queued delivery")
        await wait_for(pilot, lambda: app.sync_view.outbox.pending == 1)
        await wait_for(pilot, lambda: "⇡ pending" in screen_text(app), what="pending delivery")
        await wait_for(pilot, lambda: "1 pending" in screen_text(app), what="the sync line")
        text = screen_text(app)
        assert "you delivered: 按意见改好了" in text
        assert "[详情页 v2.psd (pending 0%)]" in text  # its content goes after the delivery
        assert "Revision asked" not in text  # the queued delivery answers it
        row = screen.query_one("#awarded-table", DataTable).get_row("o30")
        assert str(row[1]) == "delivered ⇡"  # as meant, until the server answers
        assert not screen.check_action("deliver", ())  # once is enough until it is sent
    [(intent, args)] = queued(market_db)
    assert intent == "deliver" and args["order_id"] == "o30"
    assert args["note"] == "按意见改好了：品牌蓝，加了“我的”入口"
    assert [(f["name"], f["size"]) for f in args["files"]] == [("详情页 v2.psd", 6000)]
    conn = open_db(market_db)
    assert get_order(conn, "o30")["sync_state"] == "pending"  # type: ignore[index]
    conn.close()


async def test_the_deliver_dialog_explains_a_missing_note_or_file_and_saves_nothing(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await my_work(app, pilot)
        form = await dialog(app, pilot, "d")  # o05, in progress
        fill(form, files="/no/such/file.zip")
        await wait_for(pilot, lambda: field_error(form, "files"))
        assert field_error(form, "files") == "files: /no/such/file.zip is not a readable file"
        form.query_one("#form-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: field_error(form, "note"))
        assert field_error(form, "note") == "note: required"
        assert app.screen is form  # still open: nothing was sent
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MyWork))
    assert queued(market_db) == []


# ---- reviews -----------------------------------------------------------------------------------


async def test_a_completed_order_is_reviewed_offline_and_shows_pending(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "old4")
        await shows(pilot, app, "You have not reviewed this order yet")
        await shows(pilot, app, "review stays hidden until you have both written")
        assert detail.check_action("review", ()) and not detail.check_action("dispute", ())
        form = await dialog(app, pilot, "v")
        fill(form, stars="4", text="需求清楚，付款爽快")
        form.query_one("#form-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "⇡ pending" in screen_text(app), what="pending review")
        await shows(pilot, app, "yours  ★★★★☆  “需求清楚，付款爽快”  ⇡ pending")
        assert not detail.check_action("review", ())  # once per order
        await wait_for(pilot, lambda: app.sync_view.outbox.pending == 1)
    [(intent, args)] = queued(market_db)
    assert intent == "write_review"
    assert (args["order_id"], args["stars"], args["text"]) == ("old4", 4, "需求清楚，付款爽快")
    conn = open_db(market_db)
    try:  # the store says the same as the dashboard: once per order
        with pytest.raises(Conflict, match="reviewed this order already"):
            actions.write_review(conn, order_id="old4", stars=5)
    finally:
        conn.close()


async def test_a_review_with_0_stars_is_refused_inside_the_dialog(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_order(app, pilot, "old4")
        form = await dialog(app, pilot, "v")
        fill(form, stars="0", text="还行")
        await wait_for(pilot, lambda: field_error(form, "stars"))
        assert field_error(form, "stars") == "stars: a whole number from 1 to 5"
        form.query_one("#form-submit").press()  # type: ignore[attr-defined]
        await pilot.pause(0.2)
        assert app.screen is form
        fill(form, stars="5")
        await wait_for(pilot, lambda: not field_error(form, "stars"))
    assert queued(market_db) == []


async def test_both_reviews_show_once_both_sides_have_written(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "old2")
        text = screen_text(app)
        assert "yours  ★★★★★  “需求清晰，付款及时”" in text
        assert "the client's  ★★★★☆  “按时交付，排版精致”" in text
        assert not detail.check_action("review", ())


async def test_the_command_palette_offers_the_review_of_this_order(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_order(app, pilot, "old4")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"review")
        await wait_for(pilot, lambda: "Rate the client of" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal), what="review dialog")
        assert app.screen.form_title == "Review"  # type: ignore[attr-defined]


# ---- disputes ----------------------------------------------------------------------------------


async def test_an_order_in_progress_is_disputed_offline_and_shows_pending(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o05")
        assert detail.check_action("dispute", ()) and not detail.check_action("review", ())
        form = await dialog(app, pilot, "x")
        form.query_one("#form-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: field_error(form, "reason"))
        assert field_error(form, "reason") == "reason: required"
        fill(form, reason="客户失联两周，托管款项无人确认")
        form.query_one("#form-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "opened by you" in screen_text(app), what="the dispute")
        await wait_for(pilot, lambda: "⇡ pending" in screen_text(app))
        text = screen_text(app)
        assert "open  opened by you" in text and "“客户失联两周，托管款项无人确认”" in text
        assert not detail.check_action("dispute", ())  # one is open
    assert queued(market_db) == [
        ("open_dispute", {"order_id": "o05", "reason": "客户失联两周，托管款项无人确认"})
    ]


# ---- against a real server ---------------------------------------------------------------------


async def test_a_delivery_made_in_my_work_reaches_the_server(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, "产品宣传视频剪辑")
    bid = api(
        server, freelancer, "POST", f"/v1/orders/{order['id']}/bids", amount_fen=80_000, days=4
    )
    api(server, client, "POST", f"/v1/orders/{order['id']}/award", bid_id=bid["id"])
    api(server, client, "POST", f"/v1/orders/{order['id']}/fund")
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)
    cut = tmp_path / "final-cut.mp4"
    cut.write_bytes(b"\x00video" * 500)

    app = offline_app(db, background_sync=False)  # deliver first, sync after
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, MyWork)
        await wait_for(pilot, lambda: screen.check_action("deliver", ()), what="the order")
        await wait_for(pilot, lambda: "in escrow" in screen_text(app))
        form = await dialog(app, pilot, "d")
        fill(form, note="成片 60 秒，附字幕", files=str(cut))
        form.query_one("#form-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: app.sync_view.outbox.pending == 1, what="queued")
        app.background_sync = True
        await pilot.press("s")
        await wait_for(
            pilot,
            lambda: (
                str(screen.query_one("#awarded-table", DataTable).get_row_at(0)[1]) == "delivered"
            ),
            timeout=30,
            what="the order delivered, as pulled back from the server",
        )
        assert app.sync_view.outbox.pending == 0
        # the background sync sent the file's content too
        await shows(pilot, app, "you delivered: 成片 60 秒，附字幕  [final-cut.mp4 ✓]")
    assert api(server, client, "GET", f"/v1/orders/{order['id']}")["status"] == "delivered"
    [delivery] = api(server, client, "GET", f"/v1/orders/{order['id']}/deliveries")
    fetched = httpx.get(
        f"{server.url}/v1/deliveries/{delivery['id']}/files/0",
        headers={"Authorization": f"Bearer {client['token']}"},
    )
    assert fetched.content == cut.read_bytes()

    # the client fetches it from the order's screen (`g`), as `deliveries download` does
    home = tmp_path / "client-home"
    monkeypatch.setenv("JIEDAN_HOME", str(home))
    client_db = replica_of(tmp_path / "client.db", server, client, monkeypatch)
    viewer = offline_app(client_db)
    async with viewer.run_test(size=SIZE) as pilot:
        detail = await open_order(viewer, pilot, order["id"])
        await wait_for(pilot, lambda: detail.check_action("get_files", ()), what="files to get")
        await pilot.press("g")
        saved = home / "downloads" / "final-cut.mp4"
        await wait_for(pilot, saved.exists, timeout=30, what="the file saved")
        await wait_for(
            pilot,
            lambda: any(
                n.message.startswith("Saved final-cut.mp4 in") for n in viewer._notifications
            ),
            what="the toast",
        )
    assert saved.read_bytes() == cut.read_bytes() and (saved.stat().st_mode & 0o077) == 0
