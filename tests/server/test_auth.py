"""Accounts and sessions: registration, sign-in, sign-out, throttling, staff accounts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.server.db.tables import (
    audit_log,
    login_attempts,
    points_balances,
    profiles,
    sessions,
    users,
)
from jiedan_cli.server.services import accounts
from jiedan_cli.server.services.actors import hash_token
from tests.server.conftest import Server, make_server

PASSWORD = "correct horse 42"


def login(server: Server, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return server.client.post(
        "/v1/auth/login", json={"email": email, "password": password, **extra}
    )


def register(server: Server, **fields: Any) -> Any:
    body = {"email": "ann@example.com", "name": "Ann", "password": PASSWORD, "role": "both"}
    return server.client.post("/v1/auth/register", json={**body, **fields})


# ---- registration -------------------------------------------------------------------------


def test_register_creates_the_account_its_profile_and_points(server: Server) -> None:
    response = register(server, email="  Ann@Example.COM ", role="freelancer")
    assert response.status_code == 201, response.text
    body = response.json()
    user = body["user"]
    assert user["email"] == "ann@example.com"
    assert user["roles"] == ["freelancer"]
    assert user["totp_enabled"] is False
    assert user["verification"] == "none"
    assert user["created_at"] == "2026-11-25T09:00:00Z"
    with server.db.read() as conn:
        row = conn.execute(select(users).where(users.c.id == user["id"])).one()
        assert row.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in row.password_hash
        assert conn.scalar(select(profiles.c.bio).where(profiles.c.user_id == user["id"])) == ""
        balance = conn.scalar(
            select(points_balances.c.balance).where(points_balances.c.user_id == user["id"])
        )
        assert balance == 0
        stored = conn.scalar(select(sessions.c.token_hash).where(sessions.c.user_id == user["id"]))
    assert stored == hash_token(body["token"])  # the server keeps only a hash of the token
    me = server.request("GET", "/v1/me", body["token"])
    assert me.json() == user


def test_both_means_client_and_freelancer(sqlite_server: Server) -> None:
    assert register(sqlite_server).json()["user"]["roles"] == ["client", "freelancer"]


def test_duplicate_email_is_409_whatever_the_case(server: Server) -> None:
    assert register(server).status_code == 201
    again = register(server, email="ANN@example.com")
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "not-an-email"},
        {"email": "a@b"},
        {"password": "short"},
        {"password": "x" * 129},
        {"name": ""},
        {"name": "   "},
        {"role": "admin"},
        {"roles": ["admin"]},
        {"status": "active"},
        {"verification": "approved"},
    ],
)
def test_register_refuses_bad_or_privileged_fields(sqlite_server: Server, fields: Any) -> None:
    response = register(sqlite_server, **fields)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (
        sqlite_server.client.post(
            "/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
        ).status_code
        == 401
    )  # nothing was created


# ---- sign-in and sessions -----------------------------------------------------------------


def test_login_gives_a_new_working_session(server: Server) -> None:
    user = server.register()
    response = login(server, user["email"].upper())
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert token != user["token"]
    assert server.request("GET", "/v1/me", token).json()["id"] == user["id"]


def test_wrong_password_and_unknown_email_look_the_same(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    wrong = login(sqlite_server, user["email"], "not the password")
    unknown = login(sqlite_server, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_logins_are_audited_without_secrets(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    login(sqlite_server, user["email"], "a wrong password")
    login(sqlite_server, user["email"])
    with sqlite_server.db.read() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    actions = [r.action for r in rows]
    assert "login.failed" in actions and "login.ok" in actions
    everything = repr([tuple(r) for r in rows])
    assert PASSWORD not in everything and "a wrong password" not in everything
    assert user["token"] not in everything


def test_logout_revokes_only_that_session(server: Server) -> None:
    user = server.register()
    other = login(server, user["email"]).json()["token"]
    assert server.request("POST", "/v1/auth/logout", user["token"]).status_code == 204
    assert server.request("GET", "/v1/me", user["token"]).status_code == 401
    assert server.request("POST", "/v1/auth/logout", user["token"]).status_code == 401
    assert server.request("GET", "/v1/me", other).status_code == 200


def test_sessions_expire(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    sqlite_server.clock.advance(days=sqlite_server.settings.session_ttl_days, seconds=-1)
    assert sqlite_server.request("GET", "/v1/me", user["token"]).status_code == 200
    sqlite_server.clock.advance(seconds=1)
    assert sqlite_server.request("GET", "/v1/me", user["token"]).status_code == 401


def test_me_needs_a_valid_token(sqlite_server: Server) -> None:
    assert sqlite_server.client.get("/v1/me").status_code == 401
    assert sqlite_server.request("GET", "/v1/me", "made-up-token").status_code == 401


def test_a_deleted_account_cannot_sign_in(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    with sqlite_server.db.write() as conn:
        conn.execute(update(users).where(users.c.id == user["id"]).values(status="deleted"))
    assert login(sqlite_server, user["email"]).status_code == 401
    assert sqlite_server.request("GET", "/v1/me", user["token"]).status_code == 401


def test_login_refuses_unknown_fields(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    assert login(sqlite_server, user["email"], role="admin").status_code == 422


# ---- throttling ---------------------------------------------------------------------------


def retry_after(response: Any) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "too_many_attempts"
    return int(response.headers["Retry-After"])


def test_five_failures_then_growing_required_waits(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    for _ in range(5):
        assert login(sqlite_server, user["email"], "wrong password").status_code == 401
    waits = []
    for _ in range(8):
        waits.append(retry_after(login(sqlite_server, user["email"], "wrong password")))
        sqlite_server.clock.advance(seconds=waits[-1])
        # Having waited as told, the next attempt is heard (and fails on the password).
        assert login(sqlite_server, user["email"], "wrong password").status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]


def test_waiting_as_told_lets_the_right_password_in(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    for _ in range(5):
        login(sqlite_server, user["email"], "wrong password")
    early = login(sqlite_server, user["email"])  # even the right password must wait
    sqlite_server.clock.advance(seconds=retry_after(early))
    assert login(sqlite_server, user["email"]).status_code == 200


def test_the_address_is_throttled_across_accounts(sqlite_server: Server) -> None:
    for n in range(20):
        assert login(sqlite_server, f"guess{n}@example.com", "password1").status_code == 401
    victim = sqlite_server.register()
    assert login(sqlite_server, victim["email"], "password1").status_code == 429


def test_a_success_takes_its_failures_with_it(server: Server) -> None:
    user = server.register()
    login(server, user["email"], "wrong password")
    login(server, user["email"])
    with server.db.read() as conn:
        rows = conn.execute(
            select(login_attempts.c.email, login_attempts.c.success).order_by(login_attempts.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [(user["email"], True)]


def test_success_clears_the_account_count(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    for _ in range(4):
        login(sqlite_server, user["email"], "wrong password")
    assert login(sqlite_server, user["email"]).status_code == 200
    sqlite_server.clock.advance(minutes=61)  # and let the address's count expire too
    for _ in range(5):
        assert login(sqlite_server, user["email"], "wrong password").status_code == 401
    sqlite_server.clock.advance(hours=1, seconds=1)
    assert login(sqlite_server, user["email"]).status_code == 200


# ---- staff accounts -----------------------------------------------------------------------


def test_create_staff_makes_a_staff_account(server: Server) -> None:
    with server.db.write() as conn:
        staff = accounts.create_staff(
            conn,
            email="Ops@Example.com",
            role="support",
            password="staff password 1",
            name="Ops",
            now=server.clock.now,
        )
    assert staff["roles"] == ["support"]
    signed_in = login(server, "ops@example.com", "staff password 1")
    assert signed_in.json()["user"]["roles"] == ["support"]


def test_create_staff_promotes_an_existing_account_when_asked(sqlite_server: Server) -> None:
    user = sqlite_server.register(role="client")
    with sqlite_server.db.write() as conn:
        staff = accounts.create_staff(
            conn,
            email=user["email"],
            role="finance",
            password=None,
            name="ignored",
            now=sqlite_server.clock.now,
            promote=True,
        )
    assert staff["id"] == user["id"]
    assert staff["roles"] == ["client", "finance"]
    assert login(sqlite_server, user["email"]).status_code == 200  # password unchanged


def test_create_staff_refuses_a_market_role(sqlite_server: Server) -> None:
    with sqlite_server.db.write() as conn, pytest.raises(InvalidInput):
        accounts.create_staff(
            conn,
            email="x@example.com",
            role="client",
            password="long enough",
            name="X",
            now=sqlite_server.clock.now,
        )


def run_create_staff(database_url: str, home: Path, *args: str, password: str | None) -> Any:
    """`jiedan server create-staff`, the password (when given) on stdin."""
    jiedan = Path(sys.executable).parent / "jiedan"
    stdin = () if password is None else ("--password-stdin",)
    return subprocess.run(
        [
            str(jiedan),
            "server",
            "create-staff",
            *args,
            *stdin,
            "--database-url",
            database_url,
        ],
        input="" if password is None else password + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "JIEDAN_HOME": str(home)},
        timeout=120,
        check=False,
    )


def test_create_staff_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    done = run_create_staff(
        url,
        tmp_path / "home",
        "--email",
        "ops@example.com",
        "--role",
        "admin",
        password="admin password 1",
    )
    assert done.returncode == 0, done.stderr
    assert "ops@example.com" in done.stderr
    assert "admin password 1" not in done.stdout + done.stderr
    server = make_server(url)
    with server.client:
        signed_in = login(server, "ops@example.com", "admin password 1")
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["user"]["roles"] == ["admin"]


def test_create_staff_command_refuses_a_short_password(tmp_path: Path) -> None:
    done = run_create_staff(
        f"sqlite:///{tmp_path / 'server.db'}",
        tmp_path / "home",
        "--email",
        "ops@example.com",
        "--role",
        "admin",
        password="short",
    )
    assert done.returncode == 2, done.stderr
    assert "password" in done.stderr


def test_session_ttl_comes_from_settings(sqlite_url: str) -> None:
    server = make_server(sqlite_url, session_ttl_days=1)
    with server.client:
        user = server.register()
        with server.db.read() as conn:
            row = conn.execute(
                select(sessions).where(sessions.c.token_hash == hash_token(user["token"]))
            ).one()
        assert row.expires_at - row.created_at == timedelta(days=1)
