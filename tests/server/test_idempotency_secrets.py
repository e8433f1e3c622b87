"""Issue 9, item 3: an Idempotency-Key never keeps a secret at rest (a sign-in's token, a 2FA
seed), and the answer a retry is to get is committed before the first answer goes out."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.types import Message, Receive, Scope, Send

from jiedan_cli.server.db.tables import idempotency_keys, orders, users
from tests.server.conftest import Server
from tests.server.market import order_body

PASSWORD = "correct horse 42"


def everything_kept(server: Server) -> str:
    """Every idempotency row, bodies decoded, as one text to search."""
    with server.db.read() as conn:
        rows = conn.execute(select(idempotency_keys)).all()
    texts = [repr(tuple(row)) for row in rows]
    texts += [base64.b64decode(row.body).decode() for row in rows if row.body]
    return "\n".join(texts)


def test_no_token_or_seed_is_kept_by_an_idempotency_key(server: Server) -> None:
    body = {"email": "keyed@example.com", "name": "重试", "password": PASSWORD, "role": "both"}
    registered = server.client.post(
        "/v1/auth/register", json=body, headers={"Idempotency-Key": "register-1"}
    )
    assert registered.status_code == 201, registered.text
    signed_in = server.client.post(
        "/v1/auth/login",
        json={"email": body["email"], "password": PASSWORD},
        headers={"Idempotency-Key": "login-1"},
    )
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["token"]
    enabled = server.request(
        "POST",
        "/v1/auth/2fa/enable",
        token,
        json={"password": PASSWORD},
        headers={"Idempotency-Key": "enable-1"},
    )
    assert enabled.status_code == 200, enabled.text
    secrets = [registered.json()["token"], token, enabled.json()["secret"]]
    for answer in (registered, signed_in, enabled):
        assert answer.headers["cache-control"] == "no-store"
    kept = everything_kept(server)
    assert kept  # the keys were claimed and answered …
    assert not [secret for secret in secrets if secret in kept]  # … and hold no secret


def test_a_retry_of_an_answer_that_held_a_secret_is_told_so(sqlite_server: Server) -> None:
    body = {"email": "retry@example.com", "name": "重试", "password": PASSWORD}
    headers = {"Idempotency-Key": "register-once"}
    first = sqlite_server.client.post("/v1/auth/register", json=body, headers=headers)
    again = sqlite_server.client.post("/v1/auth/register", json=body, headers=headers)
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["code"] == "idempotency_answer_not_kept"
    assert "token" not in again.json()
    with sqlite_server.db.read() as conn:
        assert conn.execute(select(users.c.email)).scalars().all() == ["retry@example.com"]


def test_the_answer_is_kept_before_it_is_sent(server: Server) -> None:
    """The worker dies while sending the first answer: a retry gets that answer back, and the
    order is not made twice."""
    client = server.register("client")
    kept_when_sent: list[Any] = []

    async def dying_while_sending(scope: Scope, receive: Receive, send: Send) -> None:
        async def network(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 201:
                with server.db.read() as conn:
                    kept_when_sent.append(conn.scalar(select(idempotency_keys.c.status_code)))
                raise ConnectionResetError("the worker died while answering")
            await send(message)

        await server.app(scope, receive, network)

    dying = TestClient(dying_while_sending, raise_server_exceptions=False)
    headers = {"Idempotency-Key": str(uuid.uuid4()), **server.as_user(client["token"])}
    body = order_body()
    dying.post("/v1/orders", json=body, headers=headers)
    dying.close()
    assert kept_when_sent == [201]
    server.clock.advance(minutes=6)  # past the time a claim in flight is taken over
    retry = server.client.post("/v1/orders", json=body, headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    with server.db.read() as conn:
        assert conn.scalar(select(func.count()).select_from(orders)) == 1
