"""Working against a REAL server (uvicorn on loopback, tests/sync/conftest.py's LiveServer;
the `server` fixture is in conftest.py): calls as another user, an order to bid on, and a
user's replica pulled once so the dashboard starts signed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from jiedan_cli.store.db import open_db
from jiedan_cli.store.state import set_user
from jiedan_cli.sync.engine import sync
from jiedan_cli.sync.http import connect
from tests.sync.conftest import FAST_RETRIES, LiveServer


def api(server: LiveServer, user: dict[str, Any], method: str, path: str, **body: Any) -> Any:
    response = httpx.request(
        method,
        f"{server.url}{path}",
        json=body or None,
        headers={"Authorization": f"Bearer {user['token']}"},
        timeout=30,
    )
    assert response.status_code < 300, response.text
    return response.json()


def post_order(server: LiveServer, client: dict[str, Any], title: str) -> dict[str, Any]:
    body = {
        "title": title,
        "description": "响应式官网，含设计与前端。",
        "category": "development",
        "tags": ["网站"],
        "budget_min_fen": 200_000,
        "budget_max_fen": 400_000,
    }
    return dict(api(server, client, "POST", "/v1/orders", **body))


def replica_of(
    path: Path, server: LiveServer, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """`user`'s replica, pulled once; the dashboard will sign in with their token."""
    conn = open_db(path)
    set_user(conn, user["id"])
    with connect(server.url, user["token"]) as client:
        sync(conn, client, deadline=30, policy=FAST_RETRIES)
    conn.close()
    monkeypatch.setenv("JIEDAN_TOKEN", user["token"])
    monkeypatch.setenv("JIEDAN_SERVER", server.url)
    return path
