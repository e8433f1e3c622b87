"""Device and address links (#12): sign-in, registration and sync record (account, install id,
address, first and last seen); a missing or malformed install id is no device, never an error;
a sync costs no write per request; `linked_counts` counts the distinct accounts on one install
and from one address — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from jiedan_cli.server.db.tables import account_devices
from jiedan_cli.server.services.devices import INSTALL_HEADER, LINK_EVERY, linked_counts
from tests.server.conftest import Server

PASSWORD = "correct horse 42"
_numbers = count(1)


def install(name: str) -> dict[str, str]:
    return {INSTALL_HEADER: name}


def register(server: Server, headers: dict[str, str], via: TestClient | None = None) -> Any:
    n = next(_numbers)
    body = {"email": f"linked{n}@example.com", "name": f"用户{n}", "password": PASSWORD}
    answer = (via or server.client).post("/v1/auth/register", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return {**answer.json()["user"], "token": answer.json()["token"]}


def sign_in(
    server: Server, user: dict[str, Any], headers: dict[str, str], via: TestClient | None = None
) -> str:
    body = {"email": user["email"], "password": PASSWORD}
    answer = (via or server.client).post("/v1/auth/login", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def links(server: Server, user_id: str) -> list[tuple[str, str, Any, Any]]:
    with server.db.read() as conn:
        rows = conn.execute(
            select(account_devices)
            .where(account_devices.c.user_id == user_id)
            .order_by(account_devices.c.device_id, account_devices.c.address)
        ).all()
    return [(r.device_id, r.address, r.first_seen_at, r.last_seen_at) for r in rows]


def from_address(server: Server, address: str) -> TestClient:
    """Requests to the same app from another client address."""
    return TestClient(server.app, raise_server_exceptions=False, client=(address, 50000))


def test_registration_and_sign_in_record_the_install_and_address(server: Server) -> None:
    laptop = install("3f6c2a9e0d1b4c8f9a7e6d5c4b3a2f10")
    user = register(server, laptop)
    started = server.clock.now
    assert links(server, user["id"]) == [
        ("3f6c2a9e0d1b4c8f9a7e6d5c4b3a2f10", "testclient", started, started)
    ]

    server.clock.advance(minutes=1)
    sign_in(server, user, laptop)
    assert links(server, user["id"]) == [
        ("3f6c2a9e0d1b4c8f9a7e6d5c4b3a2f10", "testclient", started, server.clock.now)
    ]

    sign_in(server, user, install("phone-0001"), via=from_address(server, "203.0.113.9"))
    assert [(d, a) for d, a, _, _ in links(server, user["id"])] == [
        ("3f6c2a9e0d1b4c8f9a7e6d5c4b3a2f10", "testclient"),
        ("phone-0001", "203.0.113.9"),
    ]


@pytest.mark.parametrize(
    "header",
    [None, "", "short12", "x" * 65, "has space 123", "semi;colon12", "设备设备设备设备".encode()],
)
def test_a_missing_or_malformed_install_id_is_no_device_and_no_error(
    sqlite_server: Server, header: str | bytes | None
) -> None:
    headers: Any = {} if header is None else {INSTALL_HEADER: header}
    user = register(sqlite_server, headers)
    token = sign_in(sqlite_server, user, headers)
    pulled = sqlite_server.request("GET", "/v1/sync/pull", token, headers=headers)
    assert pulled.status_code == 200, pulled.text
    assert [(d, a) for d, a, _, _ in links(sqlite_server, user["id"])] == [("", "testclient")]


def test_the_longest_and_shortest_install_ids_are_kept(sqlite_server: Server) -> None:
    for name in ("a1b2-C3D", "Z" * 64):
        user = register(sqlite_server, install(name))
        assert [d for d, _, _, _ in links(sqlite_server, user["id"])] == [name]


def test_sync_records_the_link_at_most_once_every_few_minutes(server: Server) -> None:
    user = register(server, {})  # registered from no device; syncs from one
    headers = {**install("desk-7c1e0a55"), "Authorization": f"Bearer {user['token']}"}
    body = {"client_id": f"dev-{uuid.uuid4().hex[:12]}", "ops": []}
    pushed = server.client.post("/v1/sync/push", json=body, headers=headers)
    assert pushed.status_code == 200, pushed.text
    first = server.clock.now
    assert links(server, user["id"]) == [
        ("", "testclient", first, first),
        ("desk-7c1e0a55", "testclient", first, first),
    ]

    writes: list[str] = []

    def count_writes(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "account_devices" in statement:
            writes.append(statement)

    engine = server.db.engine
    event.listen(engine, "before_cursor_execute", count_writes)
    try:
        for _ in range(20):
            server.clock.advance(seconds=20)
            pulled = server.client.get("/v1/sync/pull", headers=headers)
            assert pulled.status_code == 200, pulled.text
    finally:
        event.remove(engine, "before_cursor_execute", count_writes)
    assert len(writes) <= 1, writes  # 400 s of syncs: not one write a request
    assert links(server, user["id"])[1][3] == first  # moved at most once per LINK_EVERY

    server.clock.advance(seconds=LINK_EVERY.total_seconds())
    assert server.client.get("/v1/sync/pull", headers=headers).status_code == 200
    assert links(server, user["id"])[1] == ("desk-7c1e0a55", "testclient", first, server.clock.now)


def test_linked_counts_counts_distinct_accounts_on_a_device_and_an_address(server: Server) -> None:
    office = from_address(server, "198.51.100.7")
    shared, other = install("shared-pc-01"), install("own-laptop-02")
    first = register(server, shared, via=office)
    second = register(server, shared, via=office)
    sign_in(server, second, shared, via=office)  # the same link again: counted once
    sign_in(server, second, shared)  # same device, another address
    elsewhere = register(server, other, via=office)
    no_device = register(server, {}, via=office)
    server.clock.advance(days=1)
    newest = register(server, shared, via=from_address(server, "192.0.2.44"))
    since = server.clock.now - timedelta(days=30)

    with server.db.read() as conn:
        assert linked_counts(conn, first["id"], "shared-pc-01", "198.51.100.7", since) == (3, 4)
        assert linked_counts(conn, elsewhere["id"], "own-laptop-02", "198.51.100.7", since) == (
            1,
            4,
        )
        # No install id: this account alone on "its device"; its address still counts.
        assert linked_counts(conn, no_device["id"], "", "198.51.100.7", since) == (1, 4)
        # An account not seen there yet counts itself too.
        assert linked_counts(conn, newest["id"], "shared-pc-01", "203.0.113.1", since) == (3, 1)
        # Only links seen since `since`: the day-old ones drop out.
        recent = server.clock.now - timedelta(hours=1)
        assert linked_counts(conn, first["id"], "shared-pc-01", "198.51.100.7", recent) == (2, 1)
