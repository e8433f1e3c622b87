"""Client mode's own flows over the fixed market, offline: a new order from the dialog (shown
at once, pending, its post_order queued), a budget the wrong way round refused in the form,
a delivery sent back with a note, an order cancelled after a yes; keys offered only when the
highlighted order's status allows them. And one against the real server: the order posted
from the dashboard syncs and the server lists it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable, Input, Select

from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.client_mode import FREELANCER_WIDTH, ClientMode, _freelancer
from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.widgets.confirm_modal import ConfirmModal
from jiedan_cli.tui.widgets.field_error import FieldError
from jiedan_cli.tui.widgets.form_modal import FormModal
from tests.store.factories import page, put
from tests.sync.conftest import LiveServer
from tests.tui.conftest import SIZE, client_mode, offline_app, shows, wait_for
from tests.tui.helpers import pending_intents, screen_text
from tests.tui.live import api, replica_of

pytestmark = pytest.mark.anyio

RATED = {"count": 23, "average": 4.8}


async def new_order_form(app: JiedanApp, pilot: Any, **typed: str) -> FormModal:
    """Press n and type `typed` into the new-order dialog (field name → text)."""
    await pilot.press("n")
    form = await wait_for(pilot, lambda: isinstance(app.screen, FormModal) and app.screen)
    for name, text in typed.items():
        if name == "category":
            form.query_one("#form-category", Select).value = text
        else:
            form.query_one(f"#form-{name}", Input).value = text
    await pilot.pause()
    return form  # type: ignore[no-any-return]


def error_under(form: FormModal, name: str) -> str:
    return form.query_one(f"#form-{name}-error", FieldError).message


async def test_a_new_order_shows_at_once_as_pending_and_waits_in_the_outbox(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        form = await new_order_form(
            app,
            pilot,
            title="婚礼请柬设计",
            description="中式风格，需要印刷文件。",
            category="design",
            tags="请柬，婚礼, 设计、请柬",  # full-width and ASCII commas, 顿号; a repeat
            budget_min_fen="800",
            budget_max_fen="1500.50",
            deadline="2099-05-01",
        )
        await pilot.click("#form-submit")
        await wait_for(pilot, lambda: not form.is_attached, what="the dialog closed")
        posted = await wait_for(
            pilot,
            lambda: (
                screen.loaded
                and next((o for o in screen.loaded.orders if o["title"] == "婚礼请柬设计"), None)
            ),
            what="the new order in My orders",
        )
        await wait_for(pilot, lambda: screen.order_id == posted["id"], what="it highlighted")
        assert (posted["status"], posted["sync_state"]) == ("open", "pending")
        orders = screen.query_one("#client-orders", DataTable)
        assert orders.get_row(posted["id"])[3] == "⇡"  # the sync column
        await wait_for(pilot, lambda: "⇡ waiting for the next sync" in screen_text(app))
        await wait_for(pilot, lambda: app.sync_view.outbox.pending == 1, what="the sync line")
    [(intent, args)] = pending_intents(market_db)
    assert intent == "post_order"
    assert {k: v for k, v in args.items() if k != "id"} == {
        "title": "婚礼请柬设计",
        "description": "中式风格，需要印刷文件。",
        "category": "design",
        "tags": ["请柬", "婚礼", "设计"],
        "budget_min_fen": 80_000,
        "budget_max_fen": 150_050,
        "deadline": "2099-05-01",
    }
    assert args["id"] == posted["id"]


async def test_a_budget_minimum_above_the_maximum_is_refused_in_the_form(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await client_mode(app, pilot)
        form = await new_order_form(
            app, pilot, title="搬家打包", budget_min_fen="2000", budget_max_fen="500"
        )
        await pilot.click("#form-submit")
        await wait_for(pilot, lambda: error_under(form, "budget_min_fen"), what="the refusal")
        said = error_under(form, "budget_min_fen")
        assert said == "budget: the minimum (¥2000.00) is more than the maximum (¥500.00)"
        assert app.screen is form  # still open, to be corrected
        form.query_one("#form-deadline", Input).value = "2001-01-01"
        await wait_for(pilot, lambda: "in the past" in error_under(form, "deadline"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ClientMode))
    assert pending_intents(market_db) == []


async def test_a_delivery_is_sent_back_with_a_note(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        await pilot.press("down")  # o21, delivered
        await wait_for(pilot, lambda: screen.order_id == "o21")
        await shows(pilot, app, "v asks for a revision")
        await pilot.press("v")
        form = await wait_for(pilot, lambda: isinstance(app.screen, FormModal) and app.screen)
        await pilot.click("#form-submit")  # the note is required
        await wait_for(pilot, lambda: error_under(form, "note") == "note: required")
        note = form.query_one("#form-note", Input)
        note.focus()
        note.value = "字体再大一点"
        await pilot.press("enter")  # Enter in the note sends it
        await wait_for(pilot, lambda: pending_intents(market_db), what="the revision queued")
    assert pending_intents(market_db) == [
        ("request_revision", {"order_id": "o21", "note": "字体再大一点"})
    ]


async def test_an_open_order_is_cancelled_only_after_a_yes(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        assert screen.order_id == "o20"  # open, two bids
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await shows(pilot, app, "家庭相册整理与扫描")
        await pilot.press("enter")  # "Keep it" has the focus: nothing happens
        await wait_for(pilot, lambda: isinstance(app.screen, ClientMode))
        await pilot.pause(0.2)
        assert pending_intents(market_db) == []

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: screen._order() and screen._order()["status"] == "cancelled",  # type: ignore[index]
            what="the order shown cancelled",
        )
        assert "x" not in screen.active_bindings  # nothing left to cancel
    assert pending_intents(market_db) == [("cancel_order", {"order_id": "o20"})]


def offered(screen: ClientMode) -> set[str]:
    return {key for key in "nafcvx" if key in screen.active_bindings}


async def test_keys_are_offered_only_where_the_orders_status_allows_them(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        assert offered(screen) == {"n", "a", "x"}  # o20: open, with bids
        footer = lambda: screen_text(app).splitlines()[-1]  # noqa: E731
        await wait_for(pilot, lambda: "Award bid" in footer(), what="the footer")
        assert "Cancel order" in footer() and "Fund" not in footer()
        await pilot.press("down")  # o21: delivered
        await wait_for(pilot, lambda: offered(screen) == {"n", "c", "v"})
        await wait_for(pilot, lambda: "Ask revision" in footer(), what="the footer, redrawn")
        await pilot.press("x")  # not offered: no dialog
        await pilot.pause(0.2)
        assert isinstance(app.screen, ClientMode)
        assert pending_intents(market_db) == []


async def test_enter_on_a_bid_opens_the_order_to_message_that_freelancer(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        bids = screen.query_one("#client-bids", DataTable)
        await wait_for(pilot, lambda: bids.row_count == 2)
        await pilot.press("enter")  # to the bids: the first is f-2's
        assert bids.has_focus
        await pilot.press("enter")  # the order itself
        detail = await wait_for(pilot, lambda: isinstance(app.screen, OrderDetail) and app.screen)
        assert detail.order_id == "o20"
        await wait_for(pilot, lambda: detail.loaded is not None)
        detail.query_one("#compose", Input).value = "能周末上门取件吗？"
        detail.query_one("#compose", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: pending_intents(market_db), what="the queued message")
    [(intent, args)] = pending_intents(market_db)
    assert intent == "send_message" and args["to"] == "f-2"  # the bid's freelancer


async def test_bidders_show_by_name_and_rating_when_their_profile_is_known(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        bids = screen.query_one("#client-bids", DataTable)
        await wait_for(pilot, lambda: bids.row_count == 2)
        shown = {key: str(bids.get_row(key)[0]) for key in ("b20a", "b20b")}
        text = screen_text(app)
    assert shown == {"b20a": "张师傅 ★4.8 (23)", "b20b": "f-2"}  # f-2 has no profile here
    assert "张师傅 ★4.8 (23)  ¥600.00" in text  # the wide name takes its two cells a character


async def test_a_gold_bidder_comes_first_with_the_tier_beside_the_name(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    conn = open_db(market_db)
    profile = {"user_id": "f-1", "name": "张师傅", "rating": RATED, "tier": "gold"}
    apply_page(conn, page(put("profile", {"id": "f-1", **profile}), cursor="tier"))
    conn.close()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        bids = screen.query_one("#client-bids", DataTable)
        await wait_for(pilot, lambda: bids.row_count == 2)
        rows = [str(bids.coordinate_to_cell_key((row, 0)).row_key.value) for row in range(2)]
        text = screen_text(app)
    assert rows == ["b20a", "b20b"]  # 金牌 before the newer bid of an unknown tier
    assert "张师傅 金牌 ★4.8  ¥600.00" in text  # the tier beside the name, the count gives way


def test_a_long_name_gives_way_before_the_tier_and_rating() -> None:
    profile = {"name": "上海浦东新区家电维修王师傅", "rating": RATED, "tier": "diamond"}
    name = _freelancer("f-9", profile)
    assert cell_len(name.plain) == FREELANCER_WIDTH
    assert name.plain.endswith("… 钻石 ★4.8")
    regular = _freelancer("f-9", {**profile, "name": "王", "tier": "regular"})
    assert regular.plain == "王 ★4.8 (23)"  # 普通 is not shown


def test_a_long_name_gives_way_before_the_rating() -> None:
    name = _freelancer("f-9", {"name": "上海浦东新区家电维修王师傅", "rating": RATED})
    assert cell_len(name.plain) == FREELANCER_WIDTH
    assert name.plain.endswith("… ★4.8 (23)")


async def test_the_palette_offers_a_new_order_from_any_section(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"New order")
        await pilot.pause(0.3)
        await pilot.press("enter")
        form = await wait_for(pilot, lambda: isinstance(app.screen, FormModal) and app.screen)
        assert form.form_title == "New order" and app.current_mode == "client"


async def test_the_palette_asks_for_a_revision_of_the_highlighted_delivery(
    make_app: Callable[..., JiedanApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"revision")
        await pilot.pause(0.3)
        await pilot.press("enter")  # o20 is open: nothing to send back
        await wait_for(pilot, lambda: app._notifications, what="the explanation")
        assert "delivered order" in list(app._notifications)[-1].message
        assert app.screen is screen
        await pilot.press("down")  # o21, delivered
        await wait_for(pilot, lambda: screen.order_id == "o21")
        await pilot.press("ctrl+p")
        await pilot.press(*"revision")
        await pilot.pause(0.3)
        await pilot.press("enter")
        form = await wait_for(pilot, lambda: isinstance(app.screen, FormModal) and app.screen)
        assert form.form_title == "Ask for a revision: 个人简历排版"


# ---- against the real server ---------------------------------------------------------------


async def test_an_order_posted_from_the_dashboard_syncs_and_the_server_lists_it(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = server.register("client")
    db = replica_of(tmp_path / "client.db", server, client, monkeypatch)

    app = offline_app(db, background_sync=True, sync_interval=1.0, sync_deadline=2.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        form = await new_order_form(
            app,
            pilot,
            title="品牌 VI 手册",
            category="design",
            tags="品牌，VI",
            budget_min_fen="3000",
            budget_max_fen="6000",
        )
        await pilot.click("#form-submit")
        await wait_for(pilot, lambda: not form.is_attached)
        await wait_for(
            pilot,
            lambda: screen.loaded and [o["sync_state"] for o in screen.loaded.orders] == ["synced"],
            timeout=30,
            what="the order synced",
        )
        assert app.sync_view.outbox.pending == 0
    listed = api(server, client, "GET", "/v1/orders?mine=true")["items"]
    assert [(o["title"], o["tags"], o["budget_min_fen"]) for o in listed] == [
        ("品牌 VI 手册", ["品牌", "VI"], 300_000)
    ]


async def test_a_freelancer_only_account_is_told_why_it_cannot_post(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    freelancer = server.register("freelancer")  # its roles arrive with the first pull
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)

    app = offline_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await client_mode(app, pilot)
        await shows(pilot, app, "cannot post them")
        assert "n" not in screen.active_bindings
        screen.action_new_order()  # as the palette runs it: told, no dialog
        await wait_for(pilot, lambda: app._notifications, what="the notice")
        assert "client role" in next(iter(app._notifications)).message
        assert isinstance(app.screen, ClientMode)
    assert pending_intents(db) == []
