"""The first-order coupon (新客首单券, #13) in the dashboard's fund dialog, against the REAL
server with the coupon on (¥20): a client's first payment is asked with the coupon's share
named; once that payment is made, the next one is asked without it. Nothing mocked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jiedan_cli.tui.screens.client_mode import ClientMode
from jiedan_cli.tui.widgets.confirm_modal import ConfirmModal
from tests.sync.conftest import LiveServer
from tests.tui.conftest import SIZE, offline_app, wait_for
from tests.tui.live import api, post_order, replica_of

pytestmark = pytest.mark.anyio
COUPON = "first-order coupon (新客首单券): ¥20.00 of it is paid by the platform"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    running = LiveServer(f"sqlite:///{tmp_path / 'server.db'}", first_order_coupon_fen=2_000)
    yield running
    running.stop()


async def test_the_fund_dialog_names_the_coupon_of_a_first_payment_only(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    awarded = []
    for title in ("产品说明书翻译", "官网文案润色"):
        order = post_order(server, client, title)
        path = f"/v1/orders/{order['id']}"
        bid = api(server, freelancer, "POST", f"{path}/bids", amount_fen=120_000, days=4)
        api(server, client, "POST", f"{path}/award", bid_id=bid["id"])
        awarded.append(order["id"])
    db = replica_of(tmp_path / "client.db", server, client, monkeypatch)

    app = offline_app(db, background_sync=True, sync_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.connection == "online", what="first sync")
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, ClientMode)
        await wait_for(pilot, lambda: screen.coupon.get("status") == "available", what="coupon")

        async def asked_to_fund() -> str:
            await pilot.press("f")
            modal = await wait_for(
                pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen
            )
            return " ".join(modal.question)

        await wait_for(pilot, lambda: screen.loaded and screen.order_id in awarded)
        first = screen.order_id
        said = await asked_to_fund()
        assert said.startswith("Pay ¥1,200.00 into escrow") and COUPON in said
        await pilot.press("y")

        def funded() -> bool:
            orders = screen.loaded.orders if screen.loaded else []
            return any(o["id"] == first and o.get("status") == "in_progress" for o in orders)

        await wait_for(pilot, funded, timeout=30, what="the first order funded")
        await wait_for(pilot, lambda: screen.coupon.get("status") == "applied", timeout=30)
        second = next(order_id for order_id in awarded if order_id != first)
        for _ in range(3):  # the two orders are the table's only rows
            if screen.order_id == second:
                break
            await pilot.press("down")
        assert screen.order_id == second
        said = await asked_to_fund()
        assert said.startswith("Pay ¥1,200.00 into escrow") and "新客首单券" not in said
    paid = api(server, client, "GET", "/v1/me/first-order-coupon")
    assert (paid["status"], paid["amount_fen"], paid["order_id"]) == ("applied", 2_000, first)
