"""Server fixtures: a real app on a real database (SQLite or PostgreSQL), driven in-process
through Starlette's TestClient, with a clock the test can move."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jiedan_cli.server.app import create_app
from jiedan_cli.server.clock import ManualClock
from jiedan_cli.server.config import Settings

_numbers = count(1)


@dataclass
class Server:
    app: FastAPI
    client: TestClient
    clock: ManualClock
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def db(self) -> Any:
        return self.app.state.db

    def as_user(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {**self.as_user(token), **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def register(self, role: str = "both", name: str | None = None) -> dict[str, Any]:
        """A new account, signed in; returns {'id', 'email', 'token', …}."""
        n = next(_numbers)
        email = f"user{n}@example.com"
        response = self.client.post(
            "/v1/auth/register",
            json={
                "email": email,
                "name": name or f"用户{n}",
                "password": "correct horse 42",
                "role": role,
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return {**body["user"], "token": body["token"], "email": email}


# The in-process servers count writes in memory (one process), high enough that no test but
# those about rate limits (which set their own) meets them.
UNLIMITED_WRITES = {
    "rate_limit_storage": "memory://",
    "rate_limit_user_writes": "1000000/minute",
    "rate_limit_address_writes": "1000000/minute",
}


def make_server(database_url: str, **settings: Any) -> Server:
    clock = ManualClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    config = Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        sandbox_webhook_secret="test-webhook-secret",
        run_jobs=False,
        # every account from testclient
        **{"registrations_per_address_hour": 0, **UNLIMITED_WRITES, **settings},
    )
    app = create_app(config, clock=clock)
    return Server(app, TestClient(app, raise_server_exceptions=False), clock, config)


# The risk engine assesses and records every action but holds none: for tests of rules about
# what it would rightly hold — a new account's large amounts, fast fund-and-accept cycles — whose
# subject is another rule (caps, fees). What the engine holds is tests/server/test_holds*.py's.
CALM = {"risk_review_at": 10_000, "risk_block_at": 10_000}


def _risk(request: pytest.FixtureRequest) -> dict[str, Any]:
    """CALM for a test marked `calm` (a module's `pytestmark`: its accounts do at speed what
    the engine rightly holds, and its subject is something else), else the defaults."""
    return CALM if request.node.get_closest_marker("calm") else {}


@pytest.fixture
def server(database_url: str, request: pytest.FixtureRequest) -> Iterator[Server]:
    """The app on SQLite and on PostgreSQL."""
    srv = make_server(database_url, **_risk(request))
    with srv.client:
        yield srv


@pytest.fixture
def calm_server(database_url: str) -> Iterator[Server]:
    """`server`, with the risk engine holding nothing (CALM)."""
    srv = make_server(database_url, **CALM)
    with srv.client:
        yield srv


@pytest.fixture
def sqlite_server(sqlite_url: str, request: pytest.FixtureRequest) -> Iterator[Server]:
    """The app on SQLite only, for tests that are not about storage."""
    srv = make_server(sqlite_url, **_risk(request))
    with srv.client:
        yield srv
