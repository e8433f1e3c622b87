"""The sign-in throttle under concurrency: wrong passwords (and one-time codes) sent at once,
from threads of one process and from two real server processes on one PostgreSQL database,
are never all checked. "Checked" is read off the answers: 401 means the password (or code)
was verified and found wrong, 429 that the throttle refused it first.

No slack is allowed over FREE_FAILURES: every attempt is committed before it counts the
others, so the later committer of any two sees the earlier. (Across processes the clock is
real; an attempt may then legitimately pass when the others' failures are over a second
older than its own start, which a burst released at once does not come near.)"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jiedan_cli.server.db.tables import audit_log, login_attempts
from jiedan_cli.server.services.login_throttle import FREE_FAILURES
from tests.server.conftest import Server
from tests.server.processes import running_servers, throwaway_database

BURST = 16


def at_once(count: int, send: Callable[[int], Any]) -> list[Any]:
    """`send(i)` for i in range(count), from `count` threads released together."""
    start = threading.Barrier(count)

    def released(i: int) -> Any:
        start.wait()
        return send(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(released, range(count)))


def outcome(response: Any) -> str:
    """'checked' (401, the secret was verified and wrong) or 'refused' (429, throttled)."""
    if response.status_code == 401:
        assert response.json()["code"] in ("bad_credentials", "bad_otp"), response.text
        return "checked"
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "too_many_attempts"
    assert int(response.headers["Retry-After"]) >= 1
    return "refused"


def test_concurrent_wrong_passwords_are_checked_at_most_free_failures_times(
    server: Server,
) -> None:
    user = server.register()

    def wrong(_i: int) -> Any:
        return server.client.post(
            "/v1/auth/login", json={"email": user["email"], "password": "not the password"}
        )

    outcomes = Counter(outcome(r) for r in at_once(BURST, wrong))
    assert outcomes["checked"] <= FREE_FAILURES, outcomes
    assert outcomes["checked"] + outcomes["refused"] == BURST
    with server.db.read() as conn:
        recorded = conn.execute(
            select(func.count(), func.count().filter(login_attempts.c.success)).where(
                login_attempts.c.email == user["email"]
            )
        ).one()
        audited = conn.scalar(select(func.count()).where(audit_log.c.action == "login.failed"))
    # every attempt is audited; only the checked ones stay recorded failures (a refused one
    # checked nothing)
    assert tuple(recorded) == (outcomes["checked"], 0)
    assert audited == BURST
    # the right password, sent now from the same address, must wait like any other attempt
    # once five were checked; from another address it is let in at once (nobody else can
    # lock the owner out)
    waits = outcomes["checked"] == FREE_FAILURES
    assert outcome_of_right_password(server.client, user) == (429 if waits else 200)
    elsewhere = TestClient(server.app, client=("198.51.100.7", 40000))
    assert outcome_of_right_password(elsewhere, user) == 200
    elsewhere.close()


def outcome_of_right_password(client: TestClient, user: dict[str, Any]) -> int:
    response = client.post(
        "/v1/auth/login", json={"email": user["email"], "password": "correct horse 42"}
    )
    return int(response.status_code)


def test_concurrent_bad_codes_are_checked_at_most_free_failures_times(server: Server) -> None:
    user = server.register()
    token = user["token"]
    secret = server.request(
        "POST", "/v1/auth/2fa/enable", token, json={"password": "correct horse 42"}
    ).json()["secret"]
    good = pyotp.TOTP(secret).at(server.clock.now)
    confirmed = server.request("POST", "/v1/auth/2fa/confirm", token, json={"otp": good})
    assert confirmed.status_code == 200, confirmed.text
    wrong = "000000" if good != "000000" else "111111"

    def disable(_i: int) -> Any:
        return server.request("POST", "/v1/auth/2fa/disable", token, json={"otp": wrong})

    outcomes = Counter(outcome(r) for r in at_once(BURST, disable))
    assert outcomes["checked"] <= FREE_FAILURES, outcomes
    assert outcomes["checked"] + outcomes["refused"] == BURST
    with server.db.read() as conn:
        recorded = conn.scalar(
            select(func.count()).where(login_attempts.c.email == f"totp:{user['id']}")
        )
    assert recorded == BURST  # the confirming code was taken back, every bad one kept


def test_a_code_that_is_not_needed_leaves_no_attempt(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    # 2FA is off: the step-up check of an account deletion asks for no code
    deleted = sqlite_server.request(
        "POST", "/v1/me/delete", user["token"], json={"password": "correct horse 42"}
    )
    assert deleted.status_code == 200, deleted.text
    with sqlite_server.db.read() as conn:
        codes = login_attempts.c.email == f"totp:{user['id']}"
        assert conn.scalar(select(func.count()).where(codes)) == 0


@pytest.mark.postgres
@pytest.mark.processes
@pytest.mark.xdist_group("processes")
def test_concurrent_wrong_passwords_across_two_processes_are_throttled(tmp_path: Path) -> None:
    with throwaway_database() as url, running_servers(url, tmp_path, 2) as servers:
        email = "throttled@example.com"
        registered = httpx.post(
            f"{servers[0].base}/v1/auth/register",
            json={"email": email, "name": "两个进程", "password": "correct horse 42"}
            | {"role": "both"},
        )
        assert registered.status_code == 201, registered.text
        attempts = 12
        with httpx.Client(timeout=60) as client:

            def wrong(i: int) -> Any:
                target = servers[i % 2]
                return client.post(
                    f"{target.base}/v1/auth/login",
                    json={"email": email, "password": f"wrong password {i}"},
                )

            outcomes = Counter(outcome(r) for r in at_once(attempts, wrong))
        assert outcomes["refused"] > 0, outcomes
        assert outcomes["checked"] <= FREE_FAILURES, outcomes
        assert outcomes["checked"] + outcomes["refused"] == attempts
