"""Issue 9, item 4: an e-mail address has one identity — full-width letters, zero-width and
other format characters, case and surrounding space do not make a new account — and
registration is throttled by address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from jiedan_cli.domain.emails import normalise_email
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.migrate import alembic_config
from jiedan_cli.server.db.tables import users
from tests.server.conftest import Server, make_server

PASSWORD = "correct horse 42"
LOOKALIKES = [
    "ｖｉｃｔｉｍ@example.com",  # full-width
    "vic\u200btim@example.com",  # zero-width space
    "victim\u00ad@example.com",  # soft hyphen
    "\ufeffvictim@example.com",  # byte-order mark
    "vic\u200dtim@ｅｘａｍｐｌｅ.com",  # zero-width joiner, full-width domain
    "  VICTIM@Example.COM ",
]


def register(client: TestClient, email: str) -> Any:
    body = {"email": email, "name": "某人", "password": PASSWORD, "role": "both"}
    return client.post("/v1/auth/register", json=body)


@pytest.mark.parametrize("lookalike", LOOKALIKES)
def test_a_lookalike_address_is_the_same_account(sqlite_server: Server, lookalike: str) -> None:
    victim = register(sqlite_server.client, "victim@example.com")
    assert victim.status_code == 201, victim.text
    again = register(sqlite_server.client, lookalike)
    assert (again.status_code, again.json()["code"]) == (409, "email_taken")
    signed_in = sqlite_server.client.post(
        "/v1/auth/login", json={"email": lookalike, "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["id"] == victim.json()["user"]["id"]


def test_an_address_is_kept_in_its_normal_form(server: Server) -> None:
    made = register(server.client, "ｎｅｗ\u200b@Example.com")
    assert made.status_code == 201, made.text
    assert made.json()["user"]["email"] == "new@example.com"


def test_control_characters_are_not_an_address(sqlite_server: Server) -> None:
    refused = register(sqlite_server.client, "vic\x07tim@example.com")
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_input")


def test_registration_is_throttled_by_address(sqlite_url: str) -> None:
    server = make_server(sqlite_url, registrations_per_address_hour=3)
    with server.client:
        mine = TestClient(server.app, client=("203.0.113.66", 40000))
        assert register(mine, "one@example.com").status_code == 201
        assert register(mine, "two@example.com").status_code == 201
        assert register(mine, "one@example.com").status_code == 409  # a probe counts too
        capped = register(mine, "three@example.com")
        assert capped.status_code == 429, capped.text
        assert 3500 < int(capped.headers["Retry-After"]) <= 3600
        for _ in range(10):  # refused tries do not count
            assert register(mine, "three@example.com").status_code == 429
        elsewhere = TestClient(server.app, client=("198.51.100.7", 40000))
        assert register(elsewhere, "four@example.com").status_code == 201
        server.clock.advance(seconds=int(capped.headers["Retry-After"]))
        assert register(mine, "three@example.com").status_code == 201
        mine.close()
        elsewhere.close()


def test_the_migration_normalises_existing_addresses(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(db)
    command.upgrade(config, "0004")
    spellings = {"a": "ＡＮＮ@example.com", "b": "bob\u200b@example.com", "c": "ｃａｔ@example.com"}
    spellings["d"] = "cat@example.com"  # c's normal form, taken: c is left as it was
    with db.engine.begin() as conn:
        for user_id, email in spellings.items():
            conn.execute(insert(users).values(**user_row(user_id, email)))
    command.upgrade(config, "head")
    with db.engine.begin() as conn:
        kept = {row.id: row.email for row in conn.execute(select(users.c.id, users.c.email))}
    db.dispose()
    assert kept == {
        "a": "ann@example.com",
        "b": "bob@example.com",
        "c": "ｃａｔ@example.com",
        "d": "cat@example.com",
    }
    assert normalise_email(kept["c"]) == kept["d"]


def user_row(user_id: str, email: str) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "id": user_id,
        "email": email,
        "name": user_id,
        "password_hash": "x",
        "roles": "client",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
