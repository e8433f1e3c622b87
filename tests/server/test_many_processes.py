"""Several `jiedan server run` processes on one PostgreSQL database, as operators run them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pyotp
import pytest

from tests.server.processes import ServerProcess, running_servers, throwaway_database

pytestmark = [pytest.mark.postgres, pytest.mark.processes, pytest.mark.xdist_group("processes")]

PASSWORD = "correct horse 42"


def register(server: ServerProcess, email: str) -> dict[str, Any]:
    response = httpx.post(
        f"{server.base}/v1/auth/register",
        json={"email": email, "name": "多进程", "password": PASSWORD, "role": "both"},
    )
    assert response.status_code == 201, response.text
    return {**response.json()["user"], "token": response.json()["token"], "email": email}


def bearer(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['token']}"}


def plain_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_processes_started_at_once_on_an_empty_database_all_become_ready(tmp_path: Path) -> None:
    with throwaway_database() as url, running_servers(url, tmp_path, 3) as servers:
        for server in servers:
            ready = httpx.get(f"{server.base}/readyz")
            assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        with psycopg.connect(plain_url(url)) as conn:
            epochs = conn.execute("SELECT value FROM server_meta WHERE key = 'epoch'").fetchall()
        assert len(epochs) == 1
        # every process serves the same database: an account made on one signs in on another
        user = register(servers[0], "ready@example.com")
        for server in servers[1:]:
            me = httpx.get(f"{server.base}/v1/me", headers=bearer(user))
            assert me.status_code == 200 and me.json()["id"] == user["id"]


def test_a_secret_sealed_by_one_process_is_opened_by_another(tmp_path: Path) -> None:
    with throwaway_database() as url, running_servers(url, tmp_path, 2) as (one, other):
        user = register(one, "twofactor@example.com")
        enabled = httpx.post(
            f"{one.base}/v1/auth/2fa/enable", headers=bearer(user), json={"password": PASSWORD}
        )
        assert enabled.status_code == 200, enabled.text
        code = pyotp.TOTP(enabled.json()["secret"]).now()
        confirmed = httpx.post(
            f"{other.base}/v1/auth/2fa/confirm", headers=bearer(user), json={"otp": code}
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["totp_enabled"] is True


@pytest.mark.parametrize(
    ("move", "answer"), [("/v1/auth/logout", 204), ("/v1/me/delete", 200)], ids=["logout", "close"]
)
def test_a_token_ended_on_one_process_is_refused_by_another_within_a_second(
    tmp_path: Path, move: str, answer: int
) -> None:
    """A sign-out, or the account closed: the other process's token cache hears of it."""
    with throwaway_database() as url, running_servers(url, tmp_path, 2) as (one, other):
        user = register(one, "ended@example.com")
        for _ in range(3):  # the other process has the token in its cache
            assert httpx.get(f"{other.base}/v1/me", headers=bearer(user)).status_code == 200
        ended = httpx.post(f"{one.base}{move}", headers=bearer(user), json={"password": PASSWORD})
        assert ended.status_code == answer, ended.text
        refused_after = None
        started = time.monotonic()
        while time.monotonic() - started < 5:
            if httpx.get(f"{other.base}/v1/me", headers=bearer(user)).status_code == 401:
                refused_after = time.monotonic() - started
                break
            time.sleep(0.02)
        assert refused_after is not None, "the token still worked on the other process after 5 s"
        assert refused_after < 1.0, f"refused only after {refused_after:.2f} s"


def revoke_by_id(one: ServerProcess, user: dict[str, Any]) -> httpx.Response:
    listed = httpx.get(f"{one.base}/v1/auth/sessions", headers=bearer(user)).json()
    phone = next(s["id"] for s in listed if not s["current"])
    return httpx.delete(f"{one.base}/v1/auth/sessions/{phone}", headers=bearer(user))


def revoke_others(one: ServerProcess, user: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{one.base}/v1/auth/sessions/revoke-others", headers=bearer(user))


def change_password(one: ServerProcess, user: dict[str, Any]) -> httpx.Response:
    body = {"current_password": PASSWORD, "new_password": "a new password 77"}
    return httpx.post(f"{one.base}/v1/auth/password", headers=bearer(user), json=body)


@pytest.mark.parametrize(
    "move", [revoke_by_id, revoke_others, change_password], ids=["one", "others", "password"]
)
def test_a_session_revoked_on_one_process_is_refused_by_another_within_a_second(
    tmp_path: Path, move: Any
) -> None:
    """Session control (issue #9, item 2) takes the logout's path: the other process's token
    cache hears of it. The revoking session itself keeps working."""
    with throwaway_database() as url, running_servers(url, tmp_path, 2) as (one, other):
        user = register(one, "revoked@example.com")
        login = {"email": user["email"], "password": PASSWORD, "device": "phone"}
        phone = {"token": httpx.post(f"{one.base}/v1/auth/login", json=login).json()["token"]}
        for _ in range(3):  # the other process has the phone's token in its cache
            assert httpx.get(f"{other.base}/v1/me", headers=bearer(phone)).status_code == 200
        done = move(one, user)
        assert done.status_code < 300, done.text
        refused_after = None
        started = time.monotonic()
        while time.monotonic() - started < 5:
            if httpx.get(f"{other.base}/v1/me", headers=bearer(phone)).status_code == 401:
                refused_after = time.monotonic() - started
                break
            time.sleep(0.02)
        assert refused_after is not None, "the session still worked on the other process after 5 s"
        assert refused_after < 1.0, f"refused only after {refused_after:.2f} s"
        assert httpx.get(f"{other.base}/v1/me", headers=bearer(user)).status_code == 200
