"""The dashboard against a REAL server (uvicorn on loopback, tests/sync/conftest.py): a bid
made while the server is down waits as pending, and turns synced once the server is back;
a client awards a bid from Client mode. Nothing of ours is mocked."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiedan_cli.tui.screens.client_mode import ClientMode
from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.screens.orders_board import OrdersBoard
from jiedan_cli.tui.widgets.bid_form import BidForm
from jiedan_cli.tui.widgets.confirm_modal import ConfirmModal
from tests.sync.conftest import LiveServer
from tests.tui.conftest import SIZE, offline_app, shows, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import api, post_order, replica_of

pytestmark = pytest.mark.anyio


async def test_a_bid_made_while_offline_is_pending_then_synced_when_the_server_is_back(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, "企业网站改版")
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)
    port, database_url = server.port, server.database_url
    server.stop()  # the network goes away

    app = offline_app(db, background_sync=True, sync_interval=1.0, sync_deadline=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.connection == "offline", what="offline")
        detail = OrderDetail(order["id"])
        await app.push_screen(detail)
        await wait_for(pilot, lambda: detail.query(BidForm))
        detail.query_one("#bid-amount").value = "3000"  # type: ignore[attr-defined]
        detail.query_one("#bid-days").value = "10"  # type: ignore[attr-defined]
        detail.query_one("#bid-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "⇡ pending" in screen_text(app), what="pending bid")
        await wait_for(pilot, lambda: app.sync_view.outbox.pending == 1)
        await shows(pilot, app, "offline")

        back = LiveServer(database_url, port=port)  # the same server comes back
        try:
            await pilot.press("s")
            await wait_for(
                pilot, lambda: "✓ synced" in screen_text(app), timeout=30, what="synced bid"
            )
            await wait_for(pilot, lambda: "● online  ⇡ 0 pending" in screen_text(app))
            assert app.sync_view.outbox.pending == 0
            bids = api(back, client, "GET", f"/v1/orders/{order['id']}/bids")
            assert [(b["amount_fen"], b["days"]) for b in bids] == [(300_000, 10)]
        finally:
            back.stop()


async def test_a_client_awards_a_bid_from_client_mode(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, "品牌 LOGO 设计")
    bid = api(
        server, freelancer, "POST", f"/v1/orders/{order['id']}/bids",
        amount_fen=150_000, days=5, message="十年品牌设计",
    )  # fmt: skip
    db = replica_of(tmp_path / "client.db", server, client, monkeypatch)

    # The background sync sends a queued move within a tick, so how it looks while pending is
    # the offline test's (test_sections.py); here: what the server ends up with.
    app = offline_app(db, background_sync=True, sync_interval=1.0, sync_deadline=2.0)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, OrdersBoard)
        await wait_for(pilot, lambda: app.sync_view.connection == "online", what="first sync")
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, ClientMode)
        await wait_for(pilot, lambda: screen.loaded and screen.order_id == order["id"])
        await wait_for(pilot, lambda: "十年品牌设计" in screen_text(app))
        await pilot.press("tab", "a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="asked first")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: (
                ((screen._order() or {}).get("status"), (screen._order() or {}).get("sync_state"))
                == ("awarded", "synced")
            ),
            timeout=30,
            what="the order awarded after the sync",
        )
    assert api(server, client, "GET", f"/v1/orders/{order['id']}")["awarded_bid_id"] == bid["id"]


async def test_the_awarded_freelancer_delivers_and_the_server_has_it(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, "公众号文章代写")
    bid = api(
        server, freelancer, "POST", f"/v1/orders/{order['id']}/bids", amount_fen=50_000, days=3
    )
    api(server, client, "POST", f"/v1/orders/{order['id']}/award", bid_id=bid["id"])
    api(server, client, "POST", f"/v1/orders/{order['id']}/fund")
    assert api(server, client, "GET", f"/v1/orders/{order['id']}")["status"] == "in_progress"
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)

    app = offline_app(db, background_sync=True, sync_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")  # My work: the order awarded to me
        await wait_for(pilot, lambda: "公众号文章代写" in screen_text(app))
        await pilot.press("enter")
        detail = await wait_for(pilot, lambda: isinstance(app.screen, OrderDetail) and app.screen)
        await wait_for(pilot, lambda: detail.query("#deliver-note"))
        detail.query_one("#deliver-note").value = "三篇文章，已排版"  # type: ignore[attr-defined]
        detail.query_one("#deliver-submit").press()  # type: ignore[attr-defined]
        await wait_for(
            pilot,
            lambda: (
                detail.loaded
                and (detail.loaded.order or {}).get("status") == "delivered"
                and (detail.loaded.order or {}).get("sync_state") == "synced"
            ),
            timeout=30,
            what="the order delivered, as pulled back from the server",
        )
        assert app.sync_view.outbox.pending == 0
    assert api(server, client, "GET", f"/v1/orders/{order['id']}")["status"] == "delivered"


async def test_a_bid_the_server_refuses_is_announced_and_shown_rejected(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, "英文合同翻译")
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)
    api(server, client, "POST", f"/v1/orders/{order['id']}/cancel")  # the replica has not seen it

    app = offline_app(db, background_sync=False)  # bid first, sync after: as on a train
    async with app.run_test(size=SIZE) as pilot:
        detail = OrderDetail(order["id"])
        await app.push_screen(detail)
        await wait_for(pilot, lambda: detail.query(BidForm))
        detail.query_one("#bid-amount").value = "2000"  # type: ignore[attr-defined]
        detail.query_one("#bid-days").value = "4"  # type: ignore[attr-defined]
        detail.query_one("#bid-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "⇡ pending" in screen_text(app), what="pending bid")
        app.background_sync = True
        await pilot.press("s")
        await wait_for(pilot, lambda: app.sync_view.outbox.rejected, timeout=30, what="refusal")
        await wait_for(pilot, lambda: "✗ rejected" in screen_text(app), what="the refused bid")
        notes = [n for n in app._notifications if n.severity == "error"]
        assert notes and notes[0].message.startswith(f"Your bid: no order {order['id']}")
        await shows(pilot, app, "1 rejected")
        await shows(pilot, app, "no longer listed")  # the cancel, pulled


async def test_names_and_ratings_of_other_users_are_fetched_when_online(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change log sends a profile to its owner only: the client's name on an order and a
    bidder's on the client's screen are fetched (sync/profiles.py) and kept for offline."""
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, "品牌 VI 设计")
    api(server, freelancer, "POST", f"/v1/orders/{order['id']}/bids", amount_fen=90_000, days=6)

    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)
    app = offline_app(db, background_sync=True, sync_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.connection == "online")
        await app.push_screen(OrderDetail(order["id"]))
        await wait_for(
            pilot, lambda: f"client {client['name']} · no reviews yet" in screen_text(app)
        )

    db = replica_of(tmp_path / "client.db", server, client, monkeypatch)
    app = offline_app(db, background_sync=True, sync_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.connection == "online")
        await pilot.press("5")
        await wait_for(pilot, lambda: freelancer["name"] in screen_text(app), what="the bidder")
    offline = offline_app(db)  # and later, with no network: the kept copy
    async with offline.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: freelancer["name"] in screen_text(offline))


async def test_a_client_awards_funds_and_accepts_from_the_dashboard_and_the_freelancer_is_paid(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, "产品说明书翻译")
    path = f"/v1/orders/{order['id']}"
    bid = api(server, freelancer, "POST", f"{path}/bids", amount_fen=120_000, days=4)
    db = replica_of(tmp_path / "client.db", server, client, monkeypatch)

    app = offline_app(db, background_sync=True, sync_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.connection == "online", what="first sync")
        await pilot.press("5")  # online: the bidder's name is fetched
        screen = app.screen
        assert isinstance(screen, ClientMode)

        def shown(status: str) -> bool:
            found = screen._order() or {}
            return found.get("status") == status and found.get("sync_state") == "synced"

        await wait_for(pilot, lambda: screen.loaded and screen.order_id == order["id"])

        async def confirm(key: str) -> list[str]:
            """Each move of money is asked first; y goes ahead. What the dialog said."""
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
            asked = app.screen
            assert isinstance(asked, ConfirmModal)
            await pilot.press("y")
            return asked.question

        await wait_for(pilot, lambda: freelancer["name"] in screen_text(app), what="the name")
        await pilot.press("tab")
        said = await confirm("a")  # award the bid
        assert f"to {freelancer['name']} for ¥1,200.00 in 4 days?" in said[0]
        await wait_for(pilot, lambda: shown("awarded"), timeout=30, what="awarded")
        said = await confirm("f")  # fund the escrow (the sandbox pays at once)
        assert said[0].startswith("Pay ¥1,200.00 into escrow")
        await wait_for(pilot, lambda: shown("in_progress"), timeout=30, what="funded")
        api(server, freelancer, "POST", f"{path}/deliveries", note="译文已交付", files=[])
        await wait_for(pilot, lambda: shown("delivered"), timeout=30, what="the delivery pulled")
        said = await confirm("c")  # accept: the escrow is released
        assert f"This releases ¥1,200.00 to {freelancer['name']}" in said[1]
        await wait_for(pilot, lambda: shown("completed"), timeout=30, what="completed")
    assert api(server, client, "GET", path)["awarded_bid_id"] == bid["id"]
    earnings = api(server, freelancer, "GET", "/v1/earnings/summary")
    assert earnings["lifetime_fen"] == 120_000  # a first order is fee-free
