"""Idempotency-Key on POST (Stripe's semantics): a retry gets the first response back and the
operation happens once; a key reused for something else, or retried while in flight, is refused."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

from sqlalchemy import func, insert, select

from jiedan_cli.server.api.idempotency import _fingerprint
from jiedan_cli.server.db.tables import idempotency_keys, orders
from jiedan_cli.server.services.actors import hash_token
from tests.server.conftest import Server
from tests.server.devices import Device, order_args
from tests.server.market import order_body


def count(server: Server, table: Any) -> int:
    with server.db.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def post_order(server: Server, token: str, key: str | None, body: bytes) -> Any:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return server.request("POST", "/v1/orders", token, content=body, headers=headers)


def raw(**overrides: Any) -> bytes:
    return json.dumps(order_body(**overrides), ensure_ascii=False).encode()


def test_a_retry_with_the_same_key_replays_the_first_response(server: Server) -> None:
    client = server.register("client")
    key = str(uuid.uuid4())
    first = post_order(server, client["token"], key, raw())
    again = post_order(server, client["token"], key, raw())
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["content-type"] == first.headers["content-type"]
    assert count(server, orders) == 1


def test_the_same_key_on_a_different_request_is_refused(server: Server) -> None:
    client = server.register("client")
    key = str(uuid.uuid4())
    assert post_order(server, client["token"], key, raw()).status_code == 201
    other = post_order(server, client["token"], key, raw(title="另一个订单"))
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.headers["content-type"] == "application/problem+json"
    assert count(server, orders) == 1


def test_a_retry_while_the_first_is_in_flight_is_refused(server: Server) -> None:
    client = server.register("client")
    key, body = "in-flight-1", raw()
    scope = {"method": "POST", "path": "/v1/orders", "query_string": b""}
    with server.db.write() as conn:  # the first request has claimed the key and is running
        conn.execute(
            insert(idempotency_keys).values(
                scope=hash_token(client["token"]),
                key=key,
                request_hash=_fingerprint(scope, body),
                created_at=server.clock(),
            )
        )
    busy = post_order(server, client["token"], key, body)
    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_key_in_flight"
    assert busy.headers["retry-after"] == "1"
    assert count(server, orders) == 0
    # A claim left behind by a crashed worker does not block the key for ever.
    server.clock.advance(minutes=6)
    assert post_order(server, client["token"], key, body).status_code == 201
    assert post_order(server, client["token"], key, body).headers["idempotent-replayed"] == "true"
    assert count(server, orders) == 1


def test_keys_belong_to_the_caller(sqlite_server: Server) -> None:
    first, second = sqlite_server.register("client"), sqlite_server.register("client")
    key, body = "shared-key", raw()
    assert post_order(sqlite_server, first["token"], key, body).status_code == 201
    theirs = post_order(sqlite_server, second["token"], key, body)
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["client_id"] == second["id"]
    assert count(sqlite_server, orders) == 2


def test_refusals_below_500_are_replayed_too(sqlite_server: Server) -> None:
    freelancer = sqlite_server.register("freelancer")
    path = f"/v1/orders/{uuid.uuid4()}/bids"
    body = {"amount_fen": 100_000, "days": 3}
    headers = {"Idempotency-Key": "bid-1"}
    first = sqlite_server.request("POST", path, freelancer["token"], json=body, headers=headers)
    again = sqlite_server.request("POST", path, freelancer["token"], json=body, headers=headers)
    assert first.status_code == again.status_code == 404
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_a_key_is_1_to_255_characters(sqlite_server: Server) -> None:
    client = sqlite_server.register("client")
    too_long = post_order(sqlite_server, client["token"], "k" * 256, raw())
    assert (too_long.status_code, too_long.json()["code"]) == (422, "invalid_input")
    assert post_order(sqlite_server, client["token"], " ", raw()).status_code == 422
    assert post_order(sqlite_server, client["token"], "k" * 255, raw()).status_code == 201
    assert count(sqlite_server, orders) == 1


def test_requests_without_a_key_and_other_methods_pass_straight_through(
    sqlite_server: Server,
) -> None:
    client = sqlite_server.register("client")
    assert post_order(sqlite_server, client["token"], None, raw()).status_code == 201
    assert post_order(sqlite_server, client["token"], None, raw()).status_code == 201
    listing = sqlite_server.request(
        "GET", "/v1/orders", client["token"], headers={"Idempotency-Key": "read"}
    )
    assert listing.status_code == 200
    assert "idempotent-replayed" not in listing.headers
    assert count(sqlite_server, idempotency_keys) == 0
    assert count(sqlite_server, orders) == 2


def test_a_key_may_be_reused_after_24_hours(sqlite_server: Server) -> None:
    client = sqlite_server.register("client")
    assert post_order(sqlite_server, client["token"], "daily", raw()).status_code == 201
    sqlite_server.clock.advance(hours=25)
    later = post_order(sqlite_server, client["token"], "daily", raw(title="第二天的订单"))
    assert later.status_code == 201
    assert later.json()["title"] == "第二天的订单"


def test_a_gzip_body_and_its_plain_twin_are_the_same_request(calm_server: Server) -> None:
    """The key fingerprints the decompressed body, so a client may compress a retry or not.
    (A new account's large order: held by the risk engine on a server that is not calm.)"""
    sqlite_server = calm_server
    device = Device(sqlite_server, sqlite_server.register("client"))
    body = {"client_id": device.client_id, "ops": [device.op("post_order", **order_args())]}
    plain = json.dumps(body).encode()
    headers = {"content-type": "application/json", "Idempotency-Key": "push-1"}
    token = device.user["token"]
    first = sqlite_server.request(
        "POST",
        "/v1/sync/push",
        token,
        content=gzip.compress(plain),
        headers={**headers, "content-encoding": "gzip"},
    )
    again = sqlite_server.request("POST", "/v1/sync/push", token, content=plain, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["results"][0]["status"] == "applied"
