"""Dispute-risk warnings (纠纷预警) in the dashboard, by the rules the command line applies
(store/dispute_facts.py): the award's dialog says them before the yes; a bid and a new
order say them as a warning notice once saved — each fires, and does not; never a refusal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.widgets.bid_form import BidForm
from tests.store.factories import page, put
from tests.tui.conftest import SIZE, client_mode, shows, wait_for
from tests.tui.helpers import pending_intents, screen_text
from tests.tui.test_client_flows import new_order_form
from tests.tui.test_money_moves import asked
from tests.tui.test_order_detail import fill, open_order

pytestmark = pytest.mark.anyio


def warnings_shown(app: JiedanApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "warning"]


def disputes_of_zhang(market_db: Path, count: int) -> None:
    conn = open_db(market_db)
    profile = {"user_id": "f-1", "name": "张师傅", "dispute_count": count, "verified": True}
    apply_page(conn, page(put("profile", {"id": "f-1", **profile}), cursor="warn"))
    conn.close()


@pytest.mark.parametrize("disputes", [2, 0])
async def test_the_award_dialog_warns_of_a_freelancer_with_disputes(
    make_app: Callable[..., JiedanApp], market_db: Path, disputes: int
) -> None:
    disputes_of_zhang(market_db, disputes)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await client_mode(app, pilot)
        await shows(pilot, app, "专业扫描仪")
        await pilot.press("tab", "down")  # 张师傅's bid
        said = await asked(app, pilot, "a")
        warned = "Warning: 张师傅 has had 2 dispute(s) on orders they were awarded" in said
        assert warned == bool(disputes)
        await pilot.press("y")  # a warning, not a refusal
        await wait_for(pilot, lambda: pending_intents(market_db), what="the award queued")


async def test_a_vague_order_without_a_deadline_is_posted_with_warnings(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await client_mode(app, pilot)
        form = await new_order_form(
            app, pilot, title="修图", description="修图", budget_min_fen="50", budget_max_fen="80"
        )
        await pilot.click("#form-submit")
        await wait_for(pilot, lambda: not form.is_attached, what="the dialog closed")
        await wait_for(pilot, lambda: len(warnings_shown(app)) == 2, what="two warnings")
        said = warnings_shown(app)
        assert said[0].startswith("the description says little (2 characters)")
        assert said[1].startswith("no deadline")
        assert [intent for intent, _ in pending_intents(market_db)] == ["post_order"]


async def test_a_clear_order_with_a_deadline_is_posted_without_warnings(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await client_mode(app, pilot)
        form = await new_order_form(
            app,
            pilot,
            title="婚礼请柬设计",
            description="中式婚礼请柬，正反两面，需要印刷文件和电子版各一份",
            budget_min_fen="800",
            budget_max_fen="1500",
            deadline="2099-05-01",
        )
        await pilot.click("#form-submit")
        await wait_for(pilot, lambda: not form.is_attached, what="the dialog closed")
        await wait_for(pilot, lambda: pending_intents(market_db), what="the order queued")
        await pilot.pause(0.3)
        assert warnings_shown(app) == []


@pytest.mark.parametrize(("days", "warned"), [("1", True), ("30", False)])
async def test_a_rushed_bid_is_placed_with_a_warning(
    make_app: Callable[..., JiedanApp], market_db: Path, days: str, warned: bool
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_order(app, pilot, "o12")
        await wait_for(pilot, lambda: detail.query(BidForm))
        fill(detail, **{"bid-amount": "28000", "bid-days": days})
        detail.query_one("#bid-submit").press()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "⇡ pending" in screen_text(app), what="the bid placed")
        await pilot.pause(0.3)
        said: list[Any] = warnings_shown(app)
        assert bool(said) == warned
        if warned:
            assert said[0].startswith("1 day is under half a typical")
