"""A user's sessions (issue #9, item 2): listed with device, address and last seen, revoked
one by one or all but the caller's, the password changed (every other session ends). Another
user's session is a 404. Last seen costs no write per request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
from sqlalchemy import event, select

from jiedan_cli.server.db.tables import sessions
from jiedan_cli.server.services.sessions import SEEN_EVERY
from tests.server.conftest import Server
from tests.server.escrow_flow import ok

PASSWORD = "correct horse 42"


def sign_in(server: Server, user: dict[str, Any], device: str = "", **extra: Any) -> str:
    body = {"email": user["email"], "password": PASSWORD, "device": device, **extra}
    return str(ok(server.client.post("/v1/auth/login", json=body))["token"])


def listed(server: Server, token: str) -> list[dict[str, Any]]:
    answer = server.request("GET", "/v1/auth/sessions", token)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_sessions_are_listed_with_device_address_and_which_is_this_one(server: Server) -> None:
    user = server.register()
    laptop = sign_in(server, user, "laptop · jiedan cli")
    server.clock.advance(minutes=1)
    phone = sign_in(server, user, "phone · jiedan tui")
    shown = listed(server, laptop)
    assert [s["device"] for s in shown] == ["phone · jiedan tui", "laptop · jiedan cli", ""]
    assert [s["current"] for s in shown] == [False, True, False]
    assert {s["address"] for s in shown} == {"testclient"}
    assert set(shown[0]) == {
        "id",
        "device",
        "address",
        "created_at",
        "last_seen_at",
        "expires_at",
        "current",
    }
    assert shown[0]["created_at"] == shown[0]["last_seen_at"] == "2026-11-25T09:01:00Z"
    assert phone not in str(shown)  # no token, no token hash
    other = server.register()
    assert [s["current"] for s in listed(server, other["token"])] == [True]


def test_a_device_name_with_control_characters_is_refused(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    body = {"email": user["email"], "password": PASSWORD, "device": "x\x1b]0;pwned\x07"}
    assert sqlite_server.client.post("/v1/auth/login", json=body).status_code == 422


def test_a_revoked_session_is_refused_and_another_users_session_is_not_found(
    server: Server,
) -> None:
    user, stranger = server.register(), server.register()
    second = sign_in(server, user, "second")
    second_id = next(s["id"] for s in listed(server, user["token"]) if s["device"] == "second")

    theirs = server.request("DELETE", f"/v1/auth/sessions/{second_id}", stranger["token"])
    assert theirs.status_code == 404
    assert server.request("GET", "/v1/me", second).status_code == 200

    done = server.request("DELETE", f"/v1/auth/sessions/{second_id}", user["token"])
    assert done.status_code == 204
    assert server.request("GET", "/v1/me", second).status_code == 401
    again = server.request("DELETE", f"/v1/auth/sessions/{second_id}", user["token"])
    assert again.status_code == 404
    assert [s["device"] for s in listed(server, user["token"])] == [""]


def test_revoking_the_others_keeps_this_session(server: Server) -> None:
    user = server.register()
    others = [sign_in(server, user, f"device {n}") for n in range(3)]
    answer = ok(server.request("POST", "/v1/auth/sessions/revoke-others", user["token"]))
    assert answer == {"sessions_revoked": 3}
    assert all(server.request("GET", "/v1/me", t).status_code == 401 for t in others)
    assert [s["current"] for s in listed(server, user["token"])] == [True]


def change(server: Server, token: str, current: str, new: str, **extra: Any) -> Any:
    body = {"current_password": current, "new_password": new, **extra}
    return server.request("POST", "/v1/auth/password", token, json=body)


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(
    server: Server,
) -> None:
    user = server.register()
    laptop = sign_in(server, user, "laptop")
    wrong = change(server, user["token"], "not my password", "a new password 7")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "bad_credentials")
    assert server.request("GET", "/v1/me", laptop).status_code == 200
    short = change(server, user["token"], PASSWORD, "short")
    assert short.status_code == 422

    assert ok(change(server, user["token"], PASSWORD, "a new password 7")) == {
        "sessions_revoked": 1
    }
    assert server.request("GET", "/v1/me", laptop).status_code == 401
    assert server.request("GET", "/v1/me", user["token"]).status_code == 200
    old = {"email": user["email"], "password": PASSWORD}
    assert server.client.post("/v1/auth/login", json=old).status_code == 401
    new = {"email": user["email"], "password": "a new password 7"}
    assert server.client.post("/v1/auth/login", json=new).status_code == 200


def test_with_two_factor_on_changing_the_password_needs_a_code(sqlite_server: Server) -> None:
    server, user = sqlite_server, sqlite_server.register()
    enable = {"password": PASSWORD}
    secret = ok(server.request("POST", "/v1/auth/2fa/enable", user["token"], json=enable))
    totp = pyotp.TOTP(secret["secret"])
    ok(
        server.request(
            "POST", "/v1/auth/2fa/confirm", user["token"], json={"otp": totp.at(server.clock.now)}
        )
    )
    server.clock.advance(seconds=30)
    no_code = change(server, user["token"], PASSWORD, "a new password 7")
    assert (no_code.status_code, no_code.json()["code"]) == (401, "otp_required")
    code = totp.at(server.clock.now)
    assert ok(change(server, user["token"], PASSWORD, "a new password 7", otp=code))


def test_last_seen_moves_at_most_once_every_few_minutes(server: Server) -> None:
    user = server.register()
    token = sign_in(server, user, "busy")
    writes: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE SESSIONS"):
            writes.append(statement)

    engine = server.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(20):
            assert server.request("GET", "/v1/me", token).status_code == 200
            server.clock.advance(seconds=5)
        seen_early = last_seen(server, token)
        server.clock.advance(seconds=SEEN_EVERY.total_seconds())
        assert server.request("GET", "/v1/me", token).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(writes) <= 2, writes  # not one a request
    assert seen_early == server.clock.now - SEEN_EVERY - timedelta(seconds=100)
    assert last_seen(server, token) == server.clock.now


def last_seen(server: Server, token: str) -> Any:
    from jiedan_cli.server.services.actors import hash_token

    with server.db.read() as conn:
        return conn.scalar(
            select(sessions.c.last_seen_at).where(sessions.c.token_hash == hash_token(token))
        )
