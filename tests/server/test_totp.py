"""Two-factor authentication: RFC 6238's own test vectors against the code we verify with,
then enabling, signing in, step-up and the once-only rule through the real app."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from jiedan_cli.domain.errors import TooManyAttempts, Unauthenticated
from jiedan_cli.server.db.tables import audit_log, users
from jiedan_cli.server.services import totp
from jiedan_cli.server.services.actors import actor_for_token
from jiedan_cli.server.services.secrets_box import box_for
from tests.server.conftest import Server

RFC_SEED = base64.b32encode(b"12345678901234567890").decode()

# RFC 6238 Appendix B, the SHA1 rows: (Unix time, 8-digit code).
RFC_6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix_time", "expected"), RFC_6238_SHA1)
def test_rfc6238_vectors_generate(unix_time: int, expected: str) -> None:
    assert totp.code_for_step(RFC_SEED, unix_time // 30, digits=8) == expected


@pytest.mark.parametrize(("unix_time", "expected"), RFC_6238_SHA1)
def test_rfc6238_vectors_verify(unix_time: int, expected: str) -> None:
    now = datetime.fromtimestamp(unix_time, UTC)
    assert totp.matching_step(RFC_SEED, expected, now=now, digits=8) == unix_time // 30


@given(step=st.integers(min_value=2, max_value=2**27), drift=st.integers(min_value=-3, max_value=3))
def test_codes_are_accepted_within_one_step_of_drift_only(step: int, drift: int) -> None:
    code = totp.code_for_step(RFC_SEED, step)
    now = datetime.fromtimestamp((step + drift) * 30 + 7, UTC)
    found = totp.matching_step(RFC_SEED, code, now=now)
    if abs(drift) <= 1:
        assert found == step
    elif found is not None:  # only a rare collision with a neighbouring step's code
        assert found != step


@given(step=st.integers(min_value=2, max_value=2**27), last=st.integers(min_value=0, max_value=2))
def test_a_step_at_or_before_the_last_used_one_is_refused(step: int, last: int) -> None:
    code = totp.code_for_step(RFC_SEED, step)
    now = datetime.fromtimestamp(step * 30, UTC)
    assert totp.matching_step(RFC_SEED, code, now=now, last_step=step - 1 + last) == (
        step if last == 0 else None
    )


@pytest.mark.parametrize("junk", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_never_match(junk: str) -> None:
    assert totp.matching_step(RFC_SEED, junk, now=datetime.now(UTC)) is None


# ---- through the app ----------------------------------------------------------------------


def code_now(server: Server, secret: str, *, offset_steps: int = 0) -> str:
    moment = server.clock.now + timedelta(seconds=30 * offset_steps)
    return pyotp.TOTP(secret).at(moment)


def turn_on_2fa(server: Server, user: dict[str, Any]) -> str:
    enabled = server.request(
        "POST", "/v1/auth/2fa/enable", user["token"], json={"password": "correct horse 42"}
    )
    assert enabled.status_code == 200, enabled.text
    secret = str(enabled.json()["secret"])
    confirmed = server.request(
        "POST", "/v1/auth/2fa/confirm", user["token"], json={"otp": code_now(server, secret)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["totp_enabled"] is True
    server.clock.advance(seconds=30)  # the confirming code is spent; the next step is fresh
    return secret


def login(server: Server, user: dict[str, Any], otp: str | None = None) -> Any:
    body = {"email": user["email"], "password": "correct horse 42"}
    if otp is not None:
        body["otp"] = otp
    return server.client.post("/v1/auth/login", json=body)


def test_2fa_stays_off_until_confirmed(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    enabled = sqlite_server.request(
        "POST", "/v1/auth/2fa/enable", user["token"], json={"password": "correct horse 42"}
    ).json()
    assert enabled["otpauth_uri"].startswith("otpauth://totp/")
    assert enabled["secret"] in enabled["otpauth_uri"]
    assert sqlite_server.request("GET", "/v1/me", user["token"]).json()["totp_enabled"] is False
    assert login(sqlite_server, user).status_code == 200


def test_the_secret_is_sealed_at_rest(server: Server) -> None:
    user = server.register()
    secret = turn_on_2fa(server, user)
    with server.db.read() as conn:
        stored = conn.scalar(select(users.c.totp_secret).where(users.c.id == user["id"]))
        assert stored and secret not in stored
        assert box_for(conn, totp.BOX_PURPOSE).open(stored) == secret


def test_confirm_with_a_wrong_code_is_refused_and_recorded(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    sqlite_server.request(
        "POST", "/v1/auth/2fa/enable", user["token"], json={"password": "correct horse 42"}
    )
    response = sqlite_server.request(
        "POST", "/v1/auth/2fa/confirm", user["token"], json={"otp": "000000"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "bad_otp"
    assert sqlite_server.request("GET", "/v1/me", user["token"]).json()["totp_enabled"] is False
    with sqlite_server.db.read() as conn:
        actions = conn.scalars(select(audit_log.c.action)).all()
    assert "2fa.code_refused" in actions


def test_login_with_2fa_needs_a_good_code(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    secret = turn_on_2fa(sqlite_server, user)
    missing = login(sqlite_server, user)
    assert (missing.status_code, missing.json()["code"]) == (401, "otp_required")
    sqlite_server.clock.advance(seconds=2)  # the failures above ask for no wait yet
    bad = login(
        sqlite_server,
        user,
        otp="123456" if code_now(sqlite_server, secret) != "123456" else "654321",
    )
    # a wrong code answers as a wrong password does: it must not confirm the password
    assert (bad.status_code, bad.json()["code"]) == (401, "bad_credentials")
    good = login(sqlite_server, user, otp=code_now(sqlite_server, secret))
    assert good.status_code == 200, good.text
    assert good.json()["user"]["totp_enabled"] is True


def test_a_code_is_accepted_once_only(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    secret = turn_on_2fa(sqlite_server, user)
    code = code_now(sqlite_server, secret)
    assert login(sqlite_server, user, otp=code).status_code == 200
    replay = login(sqlite_server, user, otp=code)
    assert (replay.status_code, replay.json()["code"]) == (401, "bad_credentials")
    # An older code (previous step, still inside the drift window) is refused as well.
    sqlite_server.clock.advance(seconds=30)
    older = login(sqlite_server, user, otp=code_now(sqlite_server, secret, offset_steps=-1))
    assert older.status_code == 401


def test_the_confirming_code_cannot_be_replayed_to_sign_in(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    secret = sqlite_server.request(
        "POST", "/v1/auth/2fa/enable", user["token"], json={"password": "correct horse 42"}
    ).json()["secret"]
    code = code_now(sqlite_server, secret)
    sqlite_server.request("POST", "/v1/auth/2fa/confirm", user["token"], json={"otp": code})
    assert login(sqlite_server, user, otp=code).json()["code"] == "bad_credentials"


def test_step_up_is_a_no_op_without_2fa(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    now = sqlite_server.clock.now
    with sqlite_server.db.write() as conn:
        actor = actor_for_token(conn, user["token"], now)
        totp.verify_step_up(conn, actor, None, now=now)


def test_step_up_needs_a_fresh_code(server: Server) -> None:
    user = server.register()
    secret = turn_on_2fa(server, user)
    now = server.clock.now
    code = code_now(server, secret)
    with server.db.write() as conn:
        actor = actor_for_token(conn, user["token"], now)
        with pytest.raises(Unauthenticated) as missing:
            totp.verify_step_up(conn, actor, None, now=now)
        assert missing.value.code == "otp_required"
        totp.verify_step_up(conn, actor, code, now=now)
    with server.db.write() as conn, pytest.raises(Unauthenticated) as reused:
        totp.verify_step_up(conn, actor, code, now=now)
    assert reused.value.code == "bad_otp"


def test_repeated_bad_step_up_codes_are_throttled(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    secret = turn_on_2fa(sqlite_server, user)
    now = sqlite_server.clock.now
    with sqlite_server.db.read() as conn:
        actor = actor_for_token(conn, user["token"], now)
    wrong = "000000" if code_now(sqlite_server, secret) != "000000" else "111111"
    for _ in range(5):
        # The guard wraps the transaction: it records the failure after the rollback.
        with (
            pytest.raises(Unauthenticated),
            totp.recording_otp_failures(sqlite_server.db, actor.id, now=now),
            sqlite_server.db.write() as conn,
        ):
            totp.verify_step_up(conn, actor, wrong, now=now)
    with sqlite_server.db.write() as conn, pytest.raises(TooManyAttempts):
        totp.verify_step_up(conn, actor, code_now(sqlite_server, secret), now=now)


def test_disable_needs_a_good_code(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    secret = turn_on_2fa(sqlite_server, user)
    refused = sqlite_server.request(
        "POST", "/v1/auth/2fa/disable", user["token"], json={"otp": "99999x"}
    )
    assert refused.status_code == 401
    disabled = sqlite_server.request(
        "POST", "/v1/auth/2fa/disable", user["token"], json={"otp": code_now(sqlite_server, secret)}
    )
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["totp_enabled"] is False
    assert login(sqlite_server, user).status_code == 200
    with sqlite_server.db.read() as conn:
        actions = set(conn.scalars(select(audit_log.c.action)))
    assert {"2fa.enable_started", "2fa.enabled", "2fa.disabled"} <= actions


def test_enable_twice_while_on_is_a_conflict(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    turn_on_2fa(sqlite_server, user)
    again = sqlite_server.request(
        "POST", "/v1/auth/2fa/enable", user["token"], json={"password": "correct horse 42"}
    )
    assert again.status_code == 409


def test_2fa_endpoints_need_a_session(sqlite_server: Server) -> None:
    assert sqlite_server.client.post("/v1/auth/2fa/enable").status_code == 401
    assert sqlite_server.client.post("/v1/auth/2fa/confirm", json={"otp": "1"}).status_code == 401


def test_2fa_bodies_reject_unknown_fields(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    response = sqlite_server.request(
        "POST", "/v1/auth/2fa/confirm", user["token"], json={"otp": "123456", "totp_enabled": True}
    )
    assert response.status_code == 422
