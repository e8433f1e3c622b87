"""Rotating the server's secret key: what key A sealed, a server on key B opens while A is
among its old keys; `jiedan server reseal` moves everything to B, after which B alone opens
it all. A server given none of the keys answers a clear, logged problem+json, never a bare
500."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from jiedan_cli.domain.errors import ServerMisconfigured
from jiedan_cli.server.app import create_app
from jiedan_cli.server.cli import app as server_cli
from jiedan_cli.server.clock import ManualClock
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db.tables import users, verifications
from jiedan_cli.server.services import totp, verification
from jiedan_cli.server.services.reseal import SEALED
from jiedan_cli.server.services.secrets_box import SecretsBox, box_for, split_keys
from tests.server.conftest import Server
from tests.server.scenario import VERIFICATION

KEY_A, KEY_B, KEY_C = "the key before", "the key now", "a key nobody used"
PASSWORD = "correct horse 42"


@contextmanager
def server_with(url: str, secret_key: str, old_secret_keys: str = "") -> Iterator[Server]:
    settings = Settings(
        database_url=url,
        secret_key=secret_key,
        old_secret_keys=old_secret_keys,
        sandbox_webhook_secret="test-webhook-secret",
        run_jobs=False,
        rate_limit_storage="memory://",
    )
    clock = ManualClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    app = create_app(settings, clock=clock)
    server = Server(app, TestClient(app, raise_server_exceptions=False), clock, settings)
    with server.client:
        yield server


def reseal(url: str, secret_key: str, old_secret_keys: str = "") -> Any:
    env = {
        # the server's own environment, as an operator runs it (PostgreSQL wants both secrets)
        "JIEDAN_SERVER_SECRET_KEY": secret_key,
        "JIEDAN_SERVER_OLD_SECRET_KEYS": old_secret_keys,
        "JIEDAN_SERVER_SANDBOX_WEBHOOK_SECRET": "test-webhook-secret",
    }
    return CliRunner().invoke(server_cli, ["reseal", "--database-url", url], env=env)


def sealed_values(server: Server) -> dict[str, list[str]]:
    with server.db.read() as conn:
        return {
            column.name: list(conn.scalars(select(column.value).where(column.value.is_not(None))))
            for column in SEALED
        }


def opens_everything(server: Server) -> dict[str, list[str]]:
    """Every sealed value opened with the server's keys (ServerMisconfigured otherwise)."""
    with server.db.read() as conn:
        return {
            column.name: [
                box_for(conn, column.purpose).open(value)
                for value in conn.scalars(select(column.value).where(column.value.is_not(None)))
            ]
            for column in SEALED
        }


def test_a_box_opens_with_an_old_key_and_seals_with_the_current() -> None:
    sealed_by_a = SecretsBox(KEY_A, "purpose").seal("秘密 seed")
    rotated = SecretsBox(KEY_B, "purpose", old_keys=[KEY_A])
    assert rotated.open(sealed_by_a) == "秘密 seed"
    assert not rotated.is_current(sealed_by_a)
    resealed = rotated.reseal(sealed_by_a)
    assert rotated.is_current(resealed)
    assert SecretsBox(KEY_B, "purpose").open(resealed) == "秘密 seed"
    assert SecretsBox(KEY_B, "purpose").open(rotated.seal("new")) == "new"
    with pytest.raises(ServerMisconfigured) as wrong:
        SecretsBox(KEY_B, "purpose").open(sealed_by_a)
    assert wrong.value.code == "secret_key_mismatch"
    with pytest.raises(ServerMisconfigured):  # the purpose is part of the key
        SecretsBox(KEY_B, "another purpose", old_keys=[KEY_A]).open(sealed_by_a)


def test_old_keys_are_comma_separated() -> None:
    assert split_keys(" one , two,,") == ("one", "two")
    assert split_keys("") == ()


def test_every_sealing_service_has_its_column_listed_for_reseal() -> None:
    purposes = {column.purpose for column in SEALED}
    assert purposes == {totp.BOX_PURPOSE, verification.BOX_PURPOSE}
    # a new `box_for(conn, …).seal(` elsewhere must be added to SEALED (and to this list)
    services = os.path.dirname(totp.__file__)
    sealing = sorted(
        name
        for name in os.listdir(services)
        if name.endswith(".py") and ").seal(" in Path(services, name).read_text()
    )
    assert sealing == ["totp.py", "verification.py"]


def seal_both_kinds(server: Server) -> dict[str, Any]:
    """A freelancer with 2FA on and a verification submitted: one value of each column."""
    user = server.register("freelancer")
    secret = server.request(
        "POST", "/v1/auth/2fa/enable", user["token"], json={"password": PASSWORD}
    ).json()["secret"]
    code = pyotp.TOTP(secret).at(server.clock.now)
    confirmed = server.request("POST", "/v1/auth/2fa/confirm", user["token"], json={"otp": code})
    assert confirmed.status_code == 200, confirmed.text
    submitted = server.request("POST", "/v1/me/verification", user["token"], json=VERIFICATION)
    assert submitted.status_code == 201, submitted.text
    return {**user, "secret": secret}


def sign_in(server: Server, user: dict[str, Any], seconds_later: int) -> Any:
    server.clock.advance(seconds=seconds_later)  # a step after every code used so far
    code = pyotp.TOTP(user["secret"]).at(server.clock.now)
    return server.client.post(
        "/v1/auth/login", json={"email": user["email"], "password": PASSWORD, "otp": code}
    )


def test_rotate_then_reseal_then_the_new_key_alone_opens_everything(database_url: str) -> None:
    with server_with(database_url, KEY_A) as before:
        user = seal_both_kinds(before)
        sealed_by_a = sealed_values(before)
    assert all(len(values) == 1 for values in sealed_by_a.values())

    with server_with(database_url, KEY_B, old_secret_keys=KEY_A) as rotated:
        assert sign_in(rotated, user, 60).status_code == 200  # the seed A sealed opens
        assert opens_everything(rotated) == {
            "users.totp_secret": [user["secret"]],
            "verifications.id_number_encrypted": [VERIFICATION["id_number"]],
        }

    done = reseal(database_url, KEY_B, KEY_A)
    assert done.exit_code == 0, done.output
    assert "users.totp_secret: 1 re-sealed" in done.output
    assert "verifications.id_number_encrypted: 1 re-sealed" in done.output
    assert "2 row(s) re-sealed" in done.output
    again = reseal(database_url, KEY_B, KEY_A)
    assert again.exit_code == 0, again.output
    assert "0 row(s) re-sealed" in again.output

    with server_with(database_url, KEY_B) as after:
        resealed = sealed_values(after)
        assert all(resealed[name] != sealed_by_a[name] for name in resealed)
        assert opens_everything(after)["verifications.id_number_encrypted"] == [
            VERIFICATION["id_number"]
        ]
        assert sign_in(after, user, 120).status_code == 200
        with after.db.read() as conn:
            number = conn.scalar(select(verifications.c.id_number_encrypted))
            assert box_for(conn, verification.BOX_PURPOSE).is_current(number)


def test_reseal_works_in_batches(sqlite_url: str) -> None:
    from jiedan_cli.server.services.reseal import reseal_all

    with server_with(sqlite_url, KEY_A) as before:
        for _ in range(5):
            before.request(
                "POST",
                "/v1/auth/2fa/enable",
                before.register()["token"],
                json={"password": PASSWORD},
            )
    with server_with(sqlite_url, KEY_B, old_secret_keys=KEY_A) as rotated:
        done = reseal_all(rotated.db, now=rotated.clock.now, batch=2)
        assert done.moved == {"users.totp_secret": 5, "verifications.id_number_encrypted": 0}
        assert reseal_all(rotated.db, now=rotated.clock.now, batch=2).total == 0
        assert len(opens_everything(rotated)["users.totp_secret"]) == 5


def test_a_server_without_the_key_answers_a_logged_problem_not_a_bare_500(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with server_with(database_url, KEY_A) as before:
        user = before.register()
        secret = before.request(
            "POST", "/v1/auth/2fa/enable", user["token"], json={"password": PASSWORD}
        ).json()["secret"]
    with server_with(database_url, KEY_C) as misconfigured:
        code = pyotp.TOTP(secret).at(misconfigured.clock.now)
        with caplog.at_level(logging.ERROR, logger="jiedan.server"):
            answer = misconfigured.request(
                "POST", "/v1/auth/2fa/confirm", user["token"], json={"otp": code}
            )
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "secret_key_mismatch"
    assert problem["title"] == "ServerMisconfigured"
    assert "JIEDAN_SERVER_OLD_SECRET_KEYS" in problem["detail"]
    assert any(
        "secret_key_mismatch" in record.getMessage()
        and "/v1/auth/2fa/confirm" in record.getMessage()
        for record in caplog.records
    )
    with misconfigured.db.read() as conn:  # the refused confirmation changed nothing
        assert conn.scalar(select(users.c.totp_enabled).where(users.c.id == user["id"])) is False


def test_reseal_leaves_what_no_key_opens_and_says_so(sqlite_url: str) -> None:
    with server_with(sqlite_url, KEY_A) as before:
        before.request(
            "POST", "/v1/auth/2fa/enable", before.register()["token"], json={"password": PASSWORD}
        )
        lost = before.register()
        before.request("POST", "/v1/auth/2fa/enable", lost["token"], json={"password": PASSWORD})
    # a seed sealed with a key since lost
    with server_with(sqlite_url, KEY_C) as other, other.db.write() as conn:
        stray = box_for(conn, totp.BOX_PURPOSE).seal("JBSWY3DPEHPK3PXP")
        conn.execute(users.update().where(users.c.id == lost["id"]).values(totp_secret=stray))
    env = {
        **os.environ,
        "JIEDAN_SERVER_SECRET_KEY": KEY_B,
        "JIEDAN_SERVER_OLD_SECRET_KEYS": KEY_A,
    }
    done = subprocess.run(
        [sys.executable, "-m", "jiedan_cli", "server", "reseal", "--database-url", sqlite_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "users.totp_secret: 1 re-sealed" in done.stderr
    assert "error: some values open with none of the configured keys" in done.stderr
    assert lost["id"] in done.stderr
    assert "Traceback" not in done.stderr
