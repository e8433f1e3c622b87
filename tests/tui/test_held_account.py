"""The dashboard of an account whose registration the risk engine held (#12), against the REAL
server: the Points screen says it is under review, with the reason, and that it works
meanwhile; once a reviewer releases it, the next sync takes the line away. Nothing mocked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jiedan_cli.server.services.devices import INSTALL_HEADER
from tests.sync.conftest import PASSWORD, LiveServer
from tests.tui.conftest import SIZE, offline_app, shows, wait_for
from tests.tui.helpers import screen_text
from tests.tui.live import replica_of
from tests.tui.test_held_ops import reviewer_token

pytestmark = pytest.mark.anyio


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A second account on one install is held for review (accounts_on_device at 2)."""
    running = LiveServer(
        f"sqlite:///{tmp_path / 'server.db'}", risk_record=True, risk_limits="accounts_on_device=2"
    )
    yield running
    running.stop()


def register(server: LiveServer, install: str) -> dict[str, Any]:
    email = f"held-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "name": "小号", "password": PASSWORD, "role": "freelancer"}
    answer = httpx.post(
        f"{server.url}/v1/auth/register", json=body, headers={INSTALL_HEADER: install}, timeout=30
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()
    return {**made["user"], "token": made["token"], "email": email}


async def test_a_held_registration_is_said_on_the_points_screen_until_released(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install = f"install-{uuid.uuid4().hex[:12]}"
    assert register(server, install)["review"] is None
    second = register(server, install)
    review = second["review"]
    assert review and review["status"] == "under review", second
    db = replica_of(tmp_path / "second.db", server, second, monkeypatch)

    app = offline_app(db, background_sync=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await shows(pilot, app, "⚑ under review (人工审核) since")
        assert "(同一设备多个账号)" in screen_text(app)  # the reason
        await shows(pilot, app, "your account works meanwhile")

        released = httpx.post(
            f"{server.url}/v1/staff/holds/{review['hold_id']}/release",
            headers={"Authorization": f"Bearer {reviewer_token(server)}"},
            timeout=30,
        )
        assert released.status_code == 200, released.text
        app.background_sync = True
        await pilot.press("s")
        await wait_for(
            pilot, lambda: "under review" not in screen_text(app), timeout=30, what="released"
        )
        assert "Two-factor sign-in is off" in screen_text(app)
