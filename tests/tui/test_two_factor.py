"""Two-factor sign-in from the dashboard (Points, t) against the real server: turned on with
the secret the dialog shows and a first code (a wrong one is said under the field, the dialog
kept), then off with a current one; the Points screen and the server agree at each step. And
the turn-on dialog's picture: the QR code where the terminal is tall enough for it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.points import Points
from jiedan_cli.tui.widgets.field_error import FieldError
from jiedan_cli.tui.widgets.form_modal import FormModal
from jiedan_cli.tui.widgets.two_factor_forms import turn_on_form
from tests.sync.conftest import PASSWORD, LiveServer
from tests.tui.conftest import SIZE, offline_app, shows, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import api, replica_of
from tests.tui.test_snapshots import Compare, settle

TALL = (100, 48)
STARTED = {  # a fixed secret, for a picture that stays the same
    "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "otpauth_uri": "otpauth://totp/jiedan:demo%40jiedan.dev"
    "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=jiedan",
}


async def _send_code(pilot: Pilot[Any], app: JiedanApp, code: str) -> FormModal:
    return await _send(pilot, app, "otp", code)


async def _send(pilot: Pilot[Any], app: JiedanApp, name: str, value: str) -> FormModal:
    await wait_for(
        pilot, lambda: isinstance(app.screen, FormModal) and app.screen.query(f"#form-{name}")
    )
    form = app.screen
    field = form.query_one(f"#form-{name}", Input)
    field.value = value
    field.focus()
    await pilot.press("enter")
    return form  # type: ignore[return-value]


@pytest.mark.anyio
async def test_two_factor_sign_in_is_turned_on_and_off_from_the_points_screen(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    freelancer = server.register("freelancer")
    db = replica_of(tmp_path / "freelancer.db", server, freelancer, monkeypatch)
    app = offline_app(db, server=server.url)
    async with app.run_test(size=TALL) as pilot:
        await pilot.press("4")
        assert isinstance(app.screen, Points)
        await shows(pilot, app, "Two-factor sign-in is off: t turns it on.")
        await shows(pilot, app, "实名认证 not yet: `jiedan verify submit`")
        await pilot.press("t")
        asked = await _send(pilot, app, "password", "not the password")  # a stolen session
        wrong = await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, FormModal)
                and app.screen is not asked
                and app.screen.query_one("#form-password-error", FieldError).message
            ),
            what="the password dialog again, with the reason",
        )
        assert "password is wrong" in wrong
        await _send(pilot, app, "password", PASSWORD)
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal))
        await shows(pilot, app, "Secret  ")
        assert screen_text(app).count("▀") > 400  # the QR code, at 48 lines
        found = re.search(r"Secret  ((?:[A-Z2-7]{4} ?)+)", screen_text(app))
        assert found is not None
        totp, step = pyotp.TOTP(found.group(1).replace(" ", "")), int(time.time()) // 30

        form = await _send_code(pilot, app, "000000")
        again = await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, FormModal)
                and app.screen is not form
                and app.screen.query_one("#form-otp-error", FieldError).message
            ),
            what="the dialog again, with the reason",
        )
        assert "wrong" in again
        await _send_code(pilot, app, totp.at(step * 30))
        await shows(pilot, app, "Two-factor sign-in is on: signing in and withdrawing ask")
        assert api(server, freelancer, "GET", "/v1/me")["totp_enabled"] is True

        await pilot.press("t")
        await _send_code(pilot, app, totp.at((step + 1) * 30))
        await shows(pilot, app, "Two-factor sign-in is off: t turns it on.")
    assert api(server, freelancer, "GET", "/v1/me")["totp_enabled"] is False


@pytest.mark.parametrize("size", [TALL, SIZE], ids=["tall", "100x30"])
def test_the_turn_on_dialog(snap_compare: Compare, market_db: Path, size: tuple[int, int]) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await settle("4")(pilot)
        pilot.app.push_screen(turn_on_form(STARTED, height=size[1]))
        await settle(ready=lambda screen: screen.query("#form-otp"))(pilot)

    assert snap_compare(offline_app(market_db), terminal_size=size, run_before=before)
