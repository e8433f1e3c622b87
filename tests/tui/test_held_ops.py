"""The dashboard against the REAL server with the risk engine at a low limit (a second quote
within a minute is held): a bid made from the dashboard and held shows "held for review" with
the reason on its order and in the boards, the status bar counts it beside pending and
rejected, and once a reviewer releases it the next sync shows it synced. Nothing mocked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jiedan_cli.server.services import accounts
from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.widgets.bid_form import BidForm
from tests.sync.conftest import PASSWORD, LiveServer
from tests.tui.conftest import SIZE, offline_app, shows, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import api, post_order, replica_of

pytestmark = pytest.mark.anyio
REASON = "1 or more quotes in a minute"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    running = LiveServer(
        f"sqlite:///{tmp_path / 'server.db'}", risk_record=True, risk_limits="bids=1"
    )
    yield running
    running.stop()


def reviewer_token(server: LiveServer) -> str:
    email = f"reviewer-{uuid.uuid4().hex[:6]}@staff.example.com"
    with server.db.write() as conn:
        accounts.create_staff(
            conn,
            email=email,
            role="reviewer",
            password=PASSWORD,
            name="审核员",
            now=datetime.now(UTC),
        )
    body = {"email": email, "password": PASSWORD}
    answer = httpx.post(f"{server.url}/v1/auth/login", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


async def test_a_held_bid_shows_held_for_review_until_a_reviewer_releases_it(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    first = post_order(server, client, "企业网站改版")
    second = post_order(server, client, "品牌设计")
    api(server, freelancer, "POST", f"/v1/orders/{first['id']}/bids", amount_fen=90_000, days=5)
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)

    app = offline_app(db, background_sync=False)
    async with app.run_test(size=SIZE) as pilot:
        detail = OrderDetail(second["id"])
        await app.push_screen(detail)
        await wait_for(pilot, lambda: detail.query(BidForm))
        detail.query_one("#bid-amount").value = "3000"  # type: ignore[attr-defined]
        detail.query_one("#bid-days").value = "10"  # type: ignore[attr-defined]
        detail.query_one("#bid-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "⇡ pending" in screen_text(app), what="pending bid")
        app.background_sync = True
        await pilot.press("s")
        await wait_for(pilot, lambda: app.sync_view.outbox.held, timeout=30, what="the hold")
        await shows(pilot, app, f"⚑ held for review: {REASON}")  # the bid, with the reason
        await shows(pilot, app, "1 held for review")  # the status bar
        await shows(pilot, app, "0 rejected")
        assert app.sync_view.outbox.pending == 0 and not app.sync_view.outbox.rejected
        (held,) = app.sync_view.outbox.held
        assert held["kind"] == "place_bid" and REASON in held["reason"]

        await pilot.press("escape", "1")  # the orders board marks the order
        await wait_for(
            pilot,
            lambda: any("品牌设计" in row and "⚑" in row for row in screen_text(app).splitlines()),
            what="the held mark on the order's row",
        )

        staff = {"token": reviewer_token(server)}
        (hold,) = api(server, staff, "GET", "/v1/staff/holds")
        api(server, staff, "POST", f"/v1/staff/holds/{hold['id']}/release")
        await pilot.press("s")
        await wait_for(
            pilot, lambda: not app.sync_view.outbox.held, timeout=30, what="the release pulled"
        )
        await wait_for(pilot, lambda: "held for review" not in screen_text(app))
    bids = api(server, client, "GET", f"/v1/orders/{second['id']}/bids")
    assert [b["amount_fen"] for b in bids] == [300_000]
