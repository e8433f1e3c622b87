"""Writes are bounded (issue 9, item 13): per signed-in user and per address, a push charged
per operation and capped in messages, forged webhooks answered without an audit row each."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.server.config import MissingSecret, Settings
from jiedan_cli.server.db.tables import audit_log, orders
from tests.server.conftest import CALM, Server, make_server
from tests.server.devices import Device, order_args
from tests.server.market import order_body, place_bid, post_order


def throttled(response: Any) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60


def count(server: Server, table: Any, *where: Any) -> int:
    with server.db.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def test_a_user_over_the_write_limit_gets_429_and_others_do_not(sqlite_url: str) -> None:
    server = make_server(sqlite_url, rate_limit_user_writes="3/minute")
    with server.client:
        mine, theirs = server.register("client"), server.register("client")
        for _ in range(3):
            post_order(server, mine)
        throttled(server.request("POST", "/v1/orders", mine["token"], json=order_body()))
        assert count(server, orders, orders.c.client_id == mine["id"]) == 3
        # reads are not counted, and another user has a count of their own
        assert server.request("GET", "/v1/orders?mine=true", mine["token"]).status_code == 200
        post_order(server, theirs)


def test_an_address_over_the_anonymous_write_limit_gets_429(sqlite_url: str) -> None:
    server = make_server(sqlite_url, rate_limit_address_writes="5/minute")
    with server.client:
        attempt = {"email": "nobody@example.com", "password": "wrong password"}
        answers = [server.client.post("/v1/auth/login", json=attempt) for _ in range(6)]
        assert [a.status_code for a in answers[:5]] == [401] * 5
        throttled(answers[5])
        # a bad token is no way around it: it is counted by address too
        bad = {"Authorization": "Bearer not-a-token"}
        throttled(server.client.post("/v1/orders", json=order_body(), headers=bad))


def test_a_push_is_charged_one_write_per_operation(sqlite_url: str) -> None:
    server = make_server(sqlite_url, **CALM, rate_limit_user_writes="10/minute")
    with server.client:
        device = Device(server, server.register("client"))
        ops = [device.op("post_order", **order_args()) for _ in range(8)]
        assert [r["status"] for r in device.push_ok(*ops)] == ["applied"] * 8
        more = [device.op("post_order", **order_args()) for _ in range(5)]
        throttled(device.push(*more))
        assert count(server, orders) == 8


def test_a_push_carries_a_bounded_number_of_messages(sqlite_url: str) -> None:
    server = make_server(sqlite_url, **CALM, push_max_messages=3)
    with server.client:
        device = Device(server, server.register("client"))
        order = device.apply("post_order", **order_args())
        texts = [device.op("send_message", order_id=order["id"], text="x" * 1500) for _ in range(4)]
        too_many = device.push(*texts)
        assert too_many.status_code == 413, too_many.text
        assert "at most 3 messages per push" in too_many.json()["detail"]


def test_forged_webhooks_write_a_bounded_number_of_audit_rows(sqlite_url: str) -> None:
    server = make_server(sqlite_url, rate_limit_refusal_audits="10/hour")
    with server.client:
        headers = {"X-Sandbox-Signature": "00" * 32, "X-Sandbox-Timestamp": "1"}
        for _ in range(200):
            answer = server.client.post(
                "/v1/payments/sandbox/notify", content=b"{}", headers=headers
            )
            assert answer.status_code in (400, 401), answer.text
        refused = audit_log.c.action == "payment.notification_refused"
        assert count(server, audit_log, refused) == 10


def test_forged_webhooks_meet_the_address_limit(sqlite_url: str) -> None:
    server = make_server(sqlite_url, rate_limit_address_writes="20/minute")
    with server.client:
        headers = {"X-Sandbox-Signature": "00" * 32, "X-Sandbox-Timestamp": "1"}
        answers = [
            server.client.post("/v1/payments/sandbox/notify", content=b"{}", headers=headers)
            for _ in range(25)
        ]
        assert all(a.status_code in (400, 401) for a in answers[:20])
        throttled(answers[20])


def test_postgresql_needs_a_shared_rate_limit_storage() -> None:
    settings = Settings(
        database_url="postgresql+psycopg://x@127.0.0.1/x",
        secret_key="k",
        sandbox_webhook_secret="w",
    )
    settings.fill_secrets()  # what a command that does not serve needs
    with pytest.raises(MissingSecret, match="JIEDAN_SERVER_RATE_LIMIT_STORAGE"):
        settings.fill_rate_limit_storage()
    sqlite = Settings(database_url="sqlite:///x.db", secret_key="k", sandbox_webhook_secret="w")
    sqlite.fill_rate_limit_storage()
    assert sqlite.rate_limit_storage == "memory://"


def test_a_malformed_limit_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="JIEDAN_SERVER_RATE_LIMIT_USER_WRITES"):
        make_server(f"sqlite:///{tmp_path / 'x.db'}", rate_limit_user_writes="lots")


def test_the_limits_are_shared_through_redis(sqlite_url: str) -> None:
    """Two apps (as two processes would) counting in one Redis under one prefix: one count."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    shared = {
        "rate_limit_storage": "redis://127.0.0.1:6379/0",
        "rate_limit_key_prefix": f"test-{uuid.uuid4().hex}",
        "rate_limit_address_writes": "4/minute",
    }
    one, two = make_server(sqlite_url, **shared), make_server(sqlite_url, **shared)
    attempt = {"email": "nobody@example.com", "password": "wrong password"}
    with one.client, two.client:
        statuses = [
            server.client.post("/v1/auth/login", json=attempt).status_code
            for server in (one, two, one, two, one)
        ]
    assert statuses == [401, 401, 401, 401, 429]


def test_messages_come_a_page_at_a_time(server: Server) -> None:
    order = post_order(server, server.register("client"))
    path = f"/v1/orders/{order['id']}/messages"
    freelancer = server.register("freelancer")
    place_bid(server, freelancer, order["id"])
    for n in range(5):
        body = {"text": f"第{n}条"}
        assert server.request("POST", path, freelancer["token"], json=body).status_code == 201
    token = freelancer["token"]
    first = server.request("GET", path, token, params={"limit": 2})
    assert [m["text"] for m in first.json()] == ["第0条", "第1条"]
    second = server.request(
        "GET", path, token, params={"limit": 2, "after": first.headers["x-next-cursor"]}
    )
    assert [m["text"] for m in second.json()] == ["第2条", "第3条"]
    last = server.request(
        "GET", path, token, params={"limit": 2, "after": second.headers["x-next-cursor"]}
    )
    assert [m["text"] for m in last.json()] == ["第4条"] and "x-next-cursor" not in last.headers
    too_many = server.request("GET", path, token, params={"limit": 501})
    assert too_many.status_code == 422
