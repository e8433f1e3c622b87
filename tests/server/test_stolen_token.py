"""What a stolen session token alone must not do (issue #9, item 2): turn two-factor sign-in
on (the owner could no longer sign in), close the account, or change the password. Each needs
the password, and the current one-time code when 2FA is on; guessing the password through
these routes is throttled as sign-in is."""

from __future__ import annotations

from typing import Any

import pyotp

from tests.server.conftest import Server
from tests.server.escrow_flow import ok

PASSWORD = "correct horse 42"


def test_a_token_alone_does_not_turn_two_factor_on(sqlite_server: Server) -> None:
    victim = sqlite_server.register()
    for body in (None, {}, {"password": "not the password"}):
        stolen = sqlite_server.request("POST", "/v1/auth/2fa/enable", victim["token"], json=body)
        assert stolen.status_code in (401, 422), stolen.text
        assert "secret" not in stolen.text
    wrong = sqlite_server.request(
        "POST", "/v1/auth/2fa/enable", victim["token"], json={"password": "not the password"}
    )
    assert wrong.json()["code"] == "bad_credentials"
    me = ok(sqlite_server.request("GET", "/v1/me", victim["token"]))
    assert me["totp_enabled"] is False
    login = {"email": victim["email"], "password": PASSWORD}
    assert sqlite_server.client.post("/v1/auth/login", json=login).status_code == 200

    owner = sqlite_server.request(
        "POST", "/v1/auth/2fa/enable", victim["token"], json={"password": PASSWORD}
    )
    assert set(ok(owner)) == {"secret", "otpauth_uri"}


def test_a_token_alone_does_not_close_the_account(sqlite_server: Server) -> None:
    victim = sqlite_server.register()
    for body in (None, {}, {"password": "not the password"}):
        stolen = sqlite_server.request("POST", "/v1/me/delete", victim["token"], json=body)
        assert stolen.status_code in (401, 422), stolen.text
    assert ok(sqlite_server.request("GET", "/v1/me", victim["token"]))["email"] == victim["email"]
    closed = sqlite_server.request(
        "POST", "/v1/me/delete", victim["token"], json={"password": PASSWORD}
    )
    assert ok(closed)["status"] == "deleted"


def _two_factor_on(server: Server, user: dict[str, Any]) -> pyotp.TOTP:
    body = {"password": PASSWORD}
    secret = ok(server.request("POST", "/v1/auth/2fa/enable", user["token"], json=body))["secret"]
    totp = pyotp.TOTP(secret)
    confirm = {"otp": totp.at(server.clock.now)}
    ok(server.request("POST", "/v1/auth/2fa/confirm", user["token"], json=confirm))
    server.clock.advance(seconds=30)
    return totp


def test_with_two_factor_on_closing_needs_the_password_and_a_code(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    totp = _two_factor_on(sqlite_server, user)
    code_only = {"otp": totp.at(sqlite_server.clock.now)}
    refused = sqlite_server.request("POST", "/v1/me/delete", user["token"], json=code_only)
    assert refused.status_code == 422  # no password
    no_code = sqlite_server.request(
        "POST", "/v1/me/delete", user["token"], json={"password": PASSWORD}
    )
    assert (no_code.status_code, no_code.json()["code"]) == (401, "otp_required")
    both = {"password": PASSWORD, "otp": totp.at(sqlite_server.clock.now)}
    assert ok(sqlite_server.request("POST", "/v1/me/delete", user["token"], json=both))


def test_guessing_the_password_through_a_step_up_is_throttled(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    statuses = []
    for n in range(8):
        guess = {"password": f"guess number {n}"}
        answer = sqlite_server.request("POST", "/v1/auth/2fa/enable", user["token"], json=guess)
        statuses.append(answer.status_code)
    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:]
    right = sqlite_server.request(
        "POST", "/v1/auth/2fa/enable", user["token"], json={"password": PASSWORD}
    )
    assert right.status_code == 429  # the right one waits its turn too
    assert int(right.headers["Retry-After"]) >= 1
