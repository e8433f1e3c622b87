"""Signing in from the dashboard against a REAL server (sync/session.py, as `jiedan auth
login` does): a wrong password is said in the dialog and nothing is stored; the right one
binds the replica, keeps the token, and the background sync pulls the market."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from jiedan_cli.store.db import open_db
from jiedan_cli.store.state import current_user_id
from jiedan_cli.sync.credentials import load_token
from jiedan_cli.tui.widgets.field_error import FieldError
from jiedan_cli.tui.widgets.form_modal import FormModal
from tests.sync.conftest import PASSWORD, LiveServer
from tests.tui.conftest import SIZE, offline_app, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import post_order

pytestmark = pytest.mark.anyio


async def _fill(pilot: Any, app: Any, email: str, password: str) -> None:
    form = await wait_for(pilot, lambda: isinstance(app.screen, FormModal) and app.screen)
    form.query_one("#form-email", Input).value = email
    form.query_one("#form-password", Input).value = password
    form.query_one("#form-password", Input).focus()
    await pilot.press("enter")


async def test_signing_in_from_the_dashboard_binds_the_replica_and_syncs(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    client, freelancer = server.register("client"), server.register("freelancer")
    post_order(server, client, "企业网站改版")
    db = tmp_path / "fresh.db"
    app = offline_app(
        db, background_sync=True, sync_interval=1.0, sync_deadline=5.0, server=server.url
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: "press l to sign in" in screen_text(app), what="the hint, painted"
        )
        assert app.sync_view.connection == "signed_out"
        footer = lambda: screen_text(app).splitlines()[-1]  # noqa: E731
        await wait_for(pilot, lambda: "Sign in" in footer(), what="the key, in the footer")

        await pilot.press("l")
        await _fill(pilot, app, freelancer["email"], "not the password")
        error = await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, FormModal)
                and app.screen.query_one("#form-password-error", FieldError).message
            ),
            what="the refusal, in the dialog again",
        )
        assert "password" in error.lower()
        assert app.screen.query_one("#form-email", Input).value == freelancer["email"]
        assert load_token(server.url) is None

        app.screen.query_one("#form-password", Input).value = PASSWORD
        app.screen.query_one("#form-password", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.sync_view.connection == "online", timeout=30)
        await wait_for(pilot, lambda: "企业网站改版" in screen_text(app), timeout=30)
        await wait_for(pilot, lambda: "Sign in" not in footer(), what="the key gone")
    assert load_token(server.url) is not None
    conn = open_db(db)
    assert current_user_id(conn) == freelancer["id"]
    conn.close()


async def test_creating_an_account_from_the_dashboard_signs_in_and_syncs(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    taken = server.register("freelancer")
    app = offline_app(
        tmp_path / "new.db", background_sync=True, sync_interval=1.0, server=server.url
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_view.connection == "signed_out")
        app.action_register()
        form = await wait_for(
            pilot, lambda: isinstance(app.screen, FormModal) and app.screen.query("#form-name")
        )
        form = app.screen
        for name, value in [
            ("email", taken["email"]),
            ("name", "新手小李"),
            ("password", PASSWORD),
            ("again", PASSWORD + "!"),
        ]:
            form.query_one(f"#form-{name}", Input).value = value
        form.query_one("#form-email", Input).focus()
        await pilot.press("enter")
        mismatch = form.query_one("#form-again-error", FieldError)
        await wait_for(pilot, lambda: "differ" in mismatch.message, what="the passwords differ")
        form.query_one("#form-again", Input).value = PASSWORD
        await pilot.press("enter")
        again = await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, FormModal)
                and app.screen is not form
                and app.screen.query_one("#form-email-error", FieldError).message
            ),
            what="the taken e-mail, said in the form shown again",
        )
        assert "exists" in again
        assert app.screen.query_one("#form-name", Input).value == "新手小李"
        app.screen.query_one("#form-email", Input).value = "newcomer@example.com"
        for name in ("password", "again"):
            app.screen.query_one(f"#form-{name}", Input).value = PASSWORD
        app.screen.query_one("#form-email", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.sync_view.connection == "online", timeout=30)
    conn = open_db(tmp_path / "new.db")
    assert current_user_id(conn) is not None
    conn.close()
    assert load_token(server.url) is not None
