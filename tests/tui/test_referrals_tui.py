"""Referrals (推荐码, #13) on the dashboard, against the REAL server: the Points screen shows my
code, the reward and how many I invited; the new-account form takes a friend's code, says a
malformed one under its field while typing and an unknown one after the server refused it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from jiedan_cli.server.db.tables import referrals
from jiedan_cli.tui.widgets.field_error import FieldError
from jiedan_cli.tui.widgets.form_modal import FormModal
from tests.sync.conftest import PASSWORD, LiveServer
from tests.tui.conftest import SIZE, offline_app, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import api, replica_of

pytestmark = pytest.mark.anyio


async def test_a_friend_registers_with_my_code_from_the_dashboard_and_i_see_it(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    inviter = server.register("freelancer")
    code = api(server, inviter, "GET", "/v1/me/referral")["code"]
    unknown = "2222" + ("3333" if code != "22223333" else "4444")

    app = offline_app(tmp_path / "friend.db", background_sync=True, server=server.url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.connection == "signed_out")
        app.action_register()
        await wait_for(
            pilot, lambda: isinstance(app.screen, FormModal) and app.screen.query("#form-referral")
        )
        form = app.screen
        for name, value in [
            ("email", "friend@example.com"),
            ("name", "朋友"),
            ("password", PASSWORD),
            ("again", PASSWORD),
            ("referral", "abc"),
        ]:
            form.query_one(f"#form-{name}", Input).value = value
        said = form.query_one("#form-referral-error", FieldError)
        await wait_for(pilot, lambda: "8 letters and digits" in said.message, what="malformed")
        form.query_one("#form-referral", Input).value = unknown.lower()  # typed as it came
        form.query_one("#form-email", Input).focus()
        await pilot.press("enter")
        refused = await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, FormModal)
                and app.screen is not form
                and app.screen.query_one("#form-referral-error", FieldError).message
            ),
            timeout=30,
            what="the unknown code, said under its field",
        )
        assert "referral" in refused.lower()
        again = app.screen
        assert again.query_one("#form-referral", Input).value == unknown.lower()
        for name in ("password", "again"):
            again.query_one(f"#form-{name}", Input).value = PASSWORD
        again.query_one("#form-referral", Input).value = f"{code[:4]}-{code[4:]}".lower()
        again.query_one("#form-email", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.sync_view.connection == "online", timeout=30)
    (row,) = server.rows(referrals.select())
    assert row.referrer_id == inviter["id"] and row.status == "pending"

    db = replica_of(tmp_path / "inviter.db", server, inviter, monkeypatch)
    app = offline_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: f"推荐码 {code}" in screen_text(app), what="my code")
        assert "1 invited, 0 rewarded" in screen_text(app)
        assert "first order earns you both 100 points" in screen_text(app)
