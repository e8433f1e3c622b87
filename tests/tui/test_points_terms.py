"""The Points screen's line about money terms, from the REAL server (uvicorn on loopback):
my fee plan (chosen with `jiedan fees plan choose`, here through the same route) and the next
points to expire; hidden offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from tests.sync.conftest import LiveServer
from tests.tui.conftest import SIZE, offline_app, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import api, replica_of
from tests.tui.test_earnings_actions import earned

pytestmark = pytest.mark.anyio


async def test_the_plan_and_the_points_that_expire_next_are_shown(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client, freelancer = earned(server, 200_000)  # ¥2,000: 200 points
    api(server, freelancer, "POST", "/v1/fees/plan", plan="hybrid")
    soon = api(server, freelancer, "GET", "/v1/points")["expiring"]
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)
    app = offline_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: "收费方案 hybrid" in screen_text(app), what="the plan")
        assert f"200 points expire on {soon['on']}" in screen_text(app)
        assert "paid until" in screen_text(app)


async def test_offline_the_line_stays_hidden(market_db: Path) -> None:
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: "points" in screen_text(app), what="the points")
        await app.workers.wait_for_complete()
        assert not app.screen.query_one("#points-terms", Static).display
        assert "收费方案" not in screen_text(app)
