"""News notices: what the other side did, told after a background sync pulls it — against
the REAL server (tests/tui/live.py) — and at most three notices at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jiedan_cli.store.news import NewsItem
from jiedan_cli.tui.messages import NewsArrived
from tests.sync.conftest import LiveServer
from tests.tui.conftest import SIZE, offline_app, wait_for
from tests.tui.live import api, post_order, replica_of

pytestmark = pytest.mark.anyio


def news_notices(app: Any) -> list[str]:
    return [n.message for n in app._notifications if n.title == "News"]


async def test_the_freelancer_hears_of_the_award_the_funding_and_a_message(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, "企业官网首页改版")
    bid = api(
        server, freelancer, "POST", f"/v1/orders/{order['id']}/bids", amount_fen=320_000, days=10
    )
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)

    app = offline_app(db, background_sync=True, sync_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.connection == "online", what="online")
        await pilot.pause(0.5)
        assert news_notices(app) == []  # what the replica held already is not news

        api(server, client, "POST", f"/v1/orders/{order['id']}/award", bid_id=bid["id"])
        awarded = "Your bid on “企业官网首页改版” was awarded — the client funds escrow next."
        await wait_for(pilot, lambda: awarded in news_notices(app), timeout=30, what="award")

        api(server, freelancer, "POST", f"/v1/orders/{order['id']}/messages", text="收到，谢谢")
        api(server, client, "POST", f"/v1/orders/{order['id']}/fund")
        api(
            server, client, "POST", f"/v1/orders/{order['id']}/messages",
            text="定金已付，\n期待合作", to=freelancer["id"],
        )  # fmt: skip
        await wait_for(
            pilot,
            lambda: "Message on “企业官网首页改版”: “定金已付， 期待合作”" in news_notices(app),
            timeout=30,
            what="the client's message",
        )
        funded = "“企业官网首页改版” is funded: the money is in escrow, start work."
        assert funded in news_notices(app)
        assert len(news_notices(app)) == 3  # each told once; my own message never


async def test_at_most_three_news_notices_then_how_many_more(market_db: Path) -> None:
    app = offline_app(market_db)
    items = [
        NewsItem("message", f"o{n}", "网站", f"Message {n} [b]not markup[/b]") for n in range(5)
    ]
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(NewsArrived(items))
        await wait_for(pilot, lambda: len(news_notices(app)) == 4, what="the notices")
        assert news_notices(app) == [
            "Message 0 [b]not markup[/b]",
            "Message 1 [b]not markup[/b]",
            "Message 2 [b]not markup[/b]",
            "and 2 more",
        ]
        assert [n.markup for n in app._notifications][:3] == [False, False, False]
