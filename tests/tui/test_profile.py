"""My profile from the dashboard (Points, p): the dialog checks what is typed by the rules
`jiedan profile set` uses, sends only what changed, and the server has it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from jiedan_cli.tui.screens.points import Points
from jiedan_cli.tui.widgets.field_error import FieldError
from jiedan_cli.tui.widgets.form_modal import FormModal
from jiedan_cli.tui.widgets.profile_form import profile_changes
from tests.sync.conftest import LiveServer
from tests.tui.conftest import SIZE, offline_app, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import api, replica_of

pytestmark = pytest.mark.anyio

BEFORE = {"skills": ["翻译"], "bio": "", "city": "上海", "hourly_rate_fen": 20_000}


def test_only_what_changed_is_sent() -> None:
    values = {
        "skills": "翻译，校对",
        "bio": "",
        "city": "上海",
        "hourly_rate_fen": 20_000,
        "location": (31.22, 121.54),
    }
    assert profile_changes(BEFORE, values) == {
        "skills": ["翻译", "校对"],
        "lat": 31.22,
        "lon": 121.54,
    }


async def test_editing_my_profile_saves_it_on_the_server(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    freelancer = server.register("freelancer")
    db = replica_of(tmp_path / "me.db", server, freelancer, monkeypatch)
    app = offline_app(db, background_sync=True, sync_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.connection == "online")
        await pilot.press("4")
        await wait_for(
            pilot, lambda: isinstance(app.screen, Points) and app.screen.profile, what="profile"
        )
        await pilot.press("p")
        form = await wait_for(pilot, lambda: isinstance(app.screen, FormModal) and app.screen)
        form.query_one("#form-location", Input).value = "north pole"
        error = form.query_one("#form-location-error", FieldError)
        await wait_for(pilot, lambda: "LAT,LON" in error.message, what="the live check")
        form.query_one("#form-location", Input).value = "31.22,121.54"
        form.query_one("#form-skills", Input).value = "品牌设计、UI"
        form.query_one("#form-hourly_rate_fen", Input).value = "300"
        form.query_one("#form-skills", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "品牌设计 · UI" in screen_text(app), timeout=30)
    profile = api(server, freelancer, "GET", f"/v1/profiles/{freelancer['id']}")
    assert profile["skills"] == ["品牌设计", "UI"] and profile["hourly_rate_fen"] == 30_000
    assert (profile["lat"], profile["lon"]) == (31.22, 121.54)  # the owner sees where they are


def test_the_profile_line_shows_the_badges() -> None:
    from jiedan_cli.tui.screens.points import _profile_line

    line = _profile_line({"name": "王芳", "badges": ["金牌译员", "金牌写手"]}).plain
    assert line.startswith("王芳  【金牌译员】  【金牌写手】")
