"""The Points section does what `jiedan points redeem` and `jiedan fees plan choose` do, through
the same calls: `u` opens Redeem points (store.actions.redeem_points, local-first: queued
here, sent with the next sync), `$` opens Fee plan (sync.fee_plans.choose_fee_plan, online:
against the REAL server on loopback). Results and refusals are one-line notices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.points import Points
from jiedan_cli.tui.widgets.form_modal import FormModal
from tests.cli.conftest import closed_port_url
from tests.sync.conftest import LiveServer
from tests.tui.conftest import SIZE, offline_app, wait_for
from tests.tui.helpers import pending_intents, screen_text
from tests.tui.live import api, replica_of
from tests.tui.test_earnings_actions import earned, field_error, notes, open_form, submit

pytestmark = pytest.mark.anyio


async def open_points(pilot: Pilot[Any]) -> Points:
    app = pilot.app
    await pilot.press("4")
    screen = await wait_for(pilot, lambda: isinstance(app.screen, Points) and app.screen)
    await wait_for(pilot, lambda: screen.balance is not None, what="the points")
    assert isinstance(screen, Points)
    return screen


async def redeem(pilot: Pilot[Any], kind: str, points: str) -> FormModal:
    form = await open_form(pilot, "u")
    form.query_one("#form-kind", Select).value = kind
    form.query_one("#form-points", Input).value = points
    submit(form)
    return form


# ---- redeeming points --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "words"), [("coupon", "a ¥3.00 fee coupon"), ("cash", "¥3.00 cash to earnings")]
)
async def test_redeeming_queues_what_the_cli_queues(market_db: Path, kind: str, words: str) -> None:
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_points(pilot)
        await redeem(pilot, kind, "300")
        await wait_for(pilot, lambda: notes(app, "information"), what="the notice")
        assert isinstance(app.screen, Points)
    [(intent, args)] = pending_intents(market_db)
    assert intent == "redeem_points"
    assert (args["kind"], args["points"]) == (kind, 300) and args["id"]
    assert notes(app, "information") == [
        f"Redeemed 300 points for {words}; sent with the next sync."
    ]


async def test_more_points_than_shown_are_refused_in_the_form(market_db: Path) -> None:
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_points(pilot)
        balance = screen.balance
        assert balance is not None and balance > 0
        form = await redeem(pilot, "cash", str(balance + 100))
        await wait_for(pilot, lambda: field_error(form, "points"), what="the error")
        assert field_error(form, "points") == f"you have {balance:,} points to redeem"
        assert app.screen is form
        form.query_one("#form-points", Input).value = "50"  # the domain's range
        await wait_for(pilot, lambda: "100 to 1,000,000" in field_error(form, "points"))
        form.query_one("#form-points", Input).value = "1.5"
        await wait_for(pilot, lambda: "not a whole number" in field_error(form, "points"))
    assert pending_intents(market_db) == []


async def test_the_store_refusal_is_one_error_line(market_db: Path) -> None:
    """Redemptions already queued count against the balance (store.actions.redeem_points):
    the second one over it is refused with the store's reason, nothing more queued."""
    app = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_points(pilot)
        balance = screen.balance
        assert balance is not None
        await redeem(pilot, "coupon", str(balance))
        await wait_for(pilot, lambda: notes(app, "information"), what="the first")
        await redeem(pilot, "cash", "100")
        await wait_for(pilot, lambda: notes(app, "error"), what="the refusal")
    assert notes(app, "error") == ["you have 0 points to redeem, not 100"]
    assert len(pending_intents(market_db)) == 1


async def test_a_redemption_reaches_the_server_with_the_sync(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client, freelancer = earned(server, 200_000)  # ¥2,000: 200 points
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)
    app = offline_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_points(pilot)
        assert screen.balance == 200
        await redeem(pilot, "cash", "150")
        await wait_for(pilot, lambda: notes(app, "information"), what="the notice")
        app.background_sync = True
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.balance == 50, timeout=30, what="the new balance")
    assert api(server, freelancer, "GET", "/v1/points")["balance"] == 50
    summary = api(server, freelancer, "GET", "/v1/earnings/summary")
    assert summary["available_fen"] == 200_000 + 150


# ---- choosing a fee plan -----------------------------------------------------------------------


async def choose(pilot: Pilot[Any], plan: str) -> FormModal:
    form = await open_form(pilot, "$")
    form.query_one("#form-plan", Select).value = plan
    submit(form)
    return form


async def test_a_plan_is_chosen_on_the_server_and_shown(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client, freelancer = earned(server, 200_000)
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)
    app = offline_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_points(pilot)
        await wait_for(pilot, lambda: "收费方案 commission" in screen_text(app), what="the plan")
        form = await open_form(pilot, "$")
        assert form.query_one("#form-plan", Select).value == "commission"  # the one in force
        form.query_one("#form-plan", Select).value = "hybrid"
        submit(form)
        await wait_for(pilot, lambda: notes(app, "information"), timeout=30, what="the notice")
        await wait_for(pilot, lambda: "收费方案 hybrid" in screen_text(app), what="the line")
        assert screen.plan is not None and screen.plan["plan"] == "hybrid"
    chosen = api(server, freelancer, "GET", "/v1/fees/plan")
    assert chosen["plan"] == "hybrid"
    [notice] = notes(app, "information")
    assert notice == f"Fee plan: hybrid (混合 ¥99/月 + 5%), paid until {chosen['paid_until'][:10]}."
    summary = api(server, freelancer, "GET", "/v1/earnings/summary")
    assert summary["available_fen"] == 200_000 - 9_900  # the first month, billed


async def test_a_plan_the_earnings_cannot_pay_is_one_error_line(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    freelancer = server.register("freelancer")
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)
    app = offline_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: "收费方案 commission" in screen_text(app), what="the plan")
        await choose(pilot, "membership")
        await wait_for(pilot, lambda: notes(app, "error"), timeout=30, what="the refusal")
        assert "收费方案 commission" in screen_text(app)
    [error] = notes(app, "error")
    assert error.startswith("Fee plan not changed: ") and "\n" not in error
    assert api(server, freelancer, "GET", "/v1/fees/plan")["plan"] == "commission"


async def test_offline_choosing_a_plan_says_it_needs_the_network(
    market_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = closed_port_url()
    monkeypatch.setenv("JIEDAN_TOKEN", "a-token")
    app = offline_app(market_db, server=unreachable)
    async with app.run_test(size=SIZE) as pilot:
        await open_points(pilot)
        await choose(pilot, "hybrid")
        await wait_for(pilot, lambda: notes(app, "error"), what="the error")
        assert isinstance(app.screen, Points)
    [error] = notes(app, "error")
    assert error.startswith(f"Fee plan not changed: cannot reach the server at {unreachable}")


async def test_the_palette_offers_both_by_their_chinese_names(market_db: Path) -> None:
    app: JiedanApp = offline_app(market_db)
    async with app.run_test(size=SIZE) as pilot:
        for typed, title in (("积分兑换", "Redeem points"), ("收费方案", "Fee plan")):
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
            await pilot.press(*typed)
            await pilot.pause(0.3)
            await pilot.press("enter")
            form = await wait_for(pilot, lambda: isinstance(app.screen, FormModal) and app.screen)
            assert form.form_title.startswith(title)
            assert app.current_mode == "points"
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, Points))
