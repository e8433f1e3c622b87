"""Issue 9, items 1 and 5: nobody but the owner can lock an account out of sign-in, and with
2FA on an attacker without the code cannot learn whether a password was right.

The attacker and the owner sign in from different addresses: each is a TestClient of the same
app with its own peer address (what uvicorn reports, or what a proxy named in
`--forwarded-allow-ips` says)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jiedan_cli.server.db.tables import login_attempts
from tests.server.conftest import Server

PASSWORD = "correct horse 42"
ATTACKER = "203.0.113.66"
OWNER_AT_HOME = "198.51.100.7"
OWNER_ON_THE_ROAD = "192.0.2.45"


@pytest.fixture
def at() -> Iterator[Any]:
    """at(server, address): a client of `server`'s app whose requests come from `address`."""
    clients: list[TestClient] = []

    def client_at(server: Server, address: str) -> TestClient:
        client = TestClient(server.app, client=(address, 40000), raise_server_exceptions=False)
        clients.append(client)
        return client

    yield client_at
    for client in clients:
        client.close()


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/v1/auth/login", json={"email": email, "password": password, **extra})


def failures_recorded(server: Server, email: str) -> int:
    with server.db.read() as conn:
        return int(
            conn.scalar(
                select(func.count()).where(
                    login_attempts.c.email == email, login_attempts.c.success.is_(False)
                )
            )
        )


def test_an_attacker_cannot_lock_the_owner_out(server: Server, at: Any) -> None:
    victim = server.register()
    attacker = at(server, ATTACKER)
    statuses = [sign_in(attacker, victim["email"], f"guess {n}").status_code for n in range(150)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    # Refused attempts checked nothing and count for nothing.
    assert failures_recorded(server, victim["email"]) == 5
    # The owner, from anywhere else, signs in at once with the right password…
    home = sign_in(at(server, OWNER_AT_HOME), victim["email"])
    assert home.status_code == 200, home.text
    # …and even mistyping it first is heard, not refused for the attacker's failures.
    road = at(server, OWNER_ON_THE_ROAD)
    assert sign_in(road, victim["email"], "a typo").status_code == 401
    assert sign_in(road, victim["email"]).status_code == 200


def test_hammering_does_not_lengthen_the_wait(sqlite_server: Server, at: Any) -> None:
    user = sqlite_server.register()
    attacker = at(sqlite_server, ATTACKER)
    for _ in range(5):
        assert sign_in(attacker, user["email"], "wrong").status_code == 401
    waits = {int(sign_in(attacker, user["email"], "wrong").headers["Retry-After"])}
    waits |= {int(sign_in(attacker, user["email"]).headers["Retry-After"]) for _ in range(30)}
    assert waits == {1}  # the sixth failure's wait, however often it was asked
    sqlite_server.clock.advance(seconds=1)
    assert sign_in(attacker, user["email"]).status_code == 200


def test_a_correct_sign_in_clears_its_own_failures(sqlite_server: Server, at: Any) -> None:
    user, spray_target = sqlite_server.register(), sqlite_server.register()
    home = at(sqlite_server, OWNER_AT_HOME)
    for _ in range(4):
        assert sign_in(home, user["email"], "wrong").status_code == 401
    assert sign_in(home, user["email"]).status_code == 200
    for _ in range(5):  # five more failures are free again
        assert sign_in(home, user["email"], "wrong").status_code == 401
    # A success clears only its own account's failures, not the address's others.
    attacker = at(sqlite_server, ATTACKER)
    for n in range(20):
        assert sign_in(attacker, f"nobody{n}@example.com", "guess").status_code == 401
    attacker_account = sqlite_server.register()
    sqlite_server.clock.advance(seconds=1)
    assert sign_in(attacker, attacker_account["email"]).status_code == 200
    sqlite_server.clock.advance(seconds=1)
    assert sign_in(attacker, spray_target["email"], "guess").status_code == 401
    assert sign_in(attacker, spray_target["email"], "guess").status_code == 429


def test_the_address_is_throttled_across_accounts(sqlite_server: Server, at: Any) -> None:
    attacker = at(sqlite_server, ATTACKER)
    for n in range(20):
        assert sign_in(attacker, f"guess{n}@example.com", "password1").status_code == 401
    victim = sqlite_server.register()
    assert sign_in(attacker, victim["email"], "password1").status_code == 429
    assert sign_in(at(sqlite_server, OWNER_AT_HOME), victim["email"]).status_code == 200


def turn_on_2fa(server: Server, user: dict[str, Any]) -> str:
    token = user["token"]
    enabled = server.request("POST", "/v1/auth/2fa/enable", token, json={"password": PASSWORD})
    assert enabled.status_code == 200, enabled.text
    secret = str(enabled.json()["secret"])
    code = pyotp.TOTP(secret).at(server.clock.now)
    confirmed = server.request("POST", "/v1/auth/2fa/confirm", token, json={"otp": code})
    assert confirmed.status_code == 200, confirmed.text
    server.clock.advance(seconds=30)  # the confirming code is spent
    return secret


def test_a_2fa_sign_in_from_the_terminal_records_no_failure(server: Server, at: Any) -> None:
    user = server.register()
    secret = turn_on_2fa(server, user)
    home = at(server, OWNER_AT_HOME)
    for _ in range(8):  # the terminal asks without the code first, then with it
        first = sign_in(home, user["email"])
        assert (first.status_code, first.json()["code"]) == (401, "otp_required")
        code = pyotp.TOTP(secret).at(server.clock.now)
        assert sign_in(home, user["email"], otp=code).status_code == 200
        server.clock.advance(seconds=30)
        assert failures_recorded(server, user["email"]) == 0


def test_with_2fa_a_wrong_password_answers_like_a_right_one(server: Server, at: Any) -> None:
    user = server.register()
    secret = turn_on_2fa(server, user)
    attacker = at(server, ATTACKER)
    right, wrong = sign_in(attacker, user["email"]), sign_in(attacker, user["email"], "guess")
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json()
    assert right.json()["code"] == "otp_required"
    # With a made-up code, a right password and a wrong one answer alike as well.
    code = pyotp.TOTP(secret).at(server.clock.now)
    made_up = "000000" if code != "000000" else "111111"
    right = sign_in(attacker, user["email"], otp=made_up)
    wrong = sign_in(attacker, user["email"], "guess", otp=made_up)
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json()
    assert right.json()["code"] == "bad_credentials"
    # The owner still signs in, from anywhere, with the password and the code.
    owner = sign_in(at(server, OWNER_AT_HOME), user["email"], otp=code)
    assert owner.status_code == 200, owner.text
