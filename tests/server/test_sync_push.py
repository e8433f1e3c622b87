"""POST /v1/sync/push: every operation applied exactly once, in the client's order; permanent
rejections are results, temporary failures are 503s (sync.md, the server-side fault rows)."""

from __future__ import annotations

import gzip
import json
import sqlite3
import uuid
from typing import Any

import pytest
from sqlalchemy import event, func, select

from jiedan_cli.server.db.tables import bids, change_log, messages, orders, sync_clients, sync_ops
from tests.server.conftest import CALM, Server, make_server
from tests.server.devices import Device, order_args

# The risk engine records every action and holds none (conftest CALM): these accounts post a dozen
# large orders in seconds, which it rightly holds; what it holds is test_holds.py's.
pytestmark = pytest.mark.calm


def count(server: Server, table: Any, *where: Any) -> int:
    with server.db.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def market(server: Server) -> tuple[Device, Device, dict[str, Any]]:
    """A client's device with one open order, and a freelancer's device."""
    client = Device(server, server.register("client"))
    freelancer = Device(server, server.register("freelancer"))
    order = client.apply("post_order", **order_args())
    return client, freelancer, order


def test_ops_apply_in_order_and_last_seq_follows(server: Server) -> None:
    client, freelancer, order = market(server)
    results = freelancer.push_ok(
        freelancer.op("place_bid", order_id=order["id"], amount_fen=500_000, days=10),
        freelancer.op("send_message", order_id=order["id"], text="可以先看看原型吗？"),
    )
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[0]["result"]["amount_fen"] == 500_000
    assert results[1]["result"]["text"] == "可以先看看原型吗？"
    assert freelancer.push().json() == {"results": [], "last_seq": 2}
    assert client.push().json()["last_seq"] == 1


def test_the_same_batch_twice_is_answered_from_storage_and_applied_once(server: Server) -> None:
    _client, freelancer, order = market(server)
    batch = [
        freelancer.op("place_bid", order_id=order["id"], amount_fen=450_000, days=7),
        freelancer.op("send_message", order_id=order["id"], text="你好"),
    ]
    first = freelancer.push_ok(*batch)
    changes = count(server, change_log)
    again = freelancer.push_ok(*batch)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [r["outcome"] for r in again] == ["applied", "applied"]
    assert [r["result"] for r in again] == [r["result"] for r in first]
    assert count(server, bids) == 1
    assert count(server, messages) == 1
    assert count(server, change_log) == changes  # nothing re-applied, nothing re-announced


def test_a_gap_refuses_the_rest_of_the_batch_until_sent_in_order(server: Server) -> None:
    _client, freelancer, order = market(server)
    first = freelancer.op("place_bid", order_id=order["id"], amount_fen=400_000, days=5)
    second = freelancer.op("send_message", order_id=order["id"], text="二")
    third = freelancer.op("send_message", order_id=order["id"], text="三")
    # Out of order: seq 2 before seq 1 — nothing is applied ahead of its predecessors.
    results = freelancer.push_ok(second, first, third)
    assert [(r["seq"], r["status"], r["expected_seq"]) for r in results] == [
        (2, "gap", 1),
        (1, "gap", 1),
        (3, "gap", 1),
    ]
    assert count(server, bids) == 0
    assert count(server, messages) == 0
    results = freelancer.push_ok(first, second, third)
    assert [r["status"] for r in results] == ["applied", "applied", "applied"]
    assert freelancer.push().json()["last_seq"] == 3


def test_a_batch_that_skips_a_seq_stops_at_the_hole(server: Server) -> None:
    _client, freelancer, order = market(server)
    one = freelancer.op("place_bid", order_id=order["id"], amount_fen=400_000, days=5)
    freelancer.op("send_message", order_id=order["id"], text="lost")  # seq 2, never sent
    three = freelancer.op("send_message", order_id=order["id"], text="三")
    results = freelancer.push_ok(one, three)
    assert [r["status"] for r in results] == ["applied", "gap"]
    assert results[1]["expected_seq"] == 2
    assert count(server, messages) == 0


def test_an_always_failing_op_is_rejected_and_the_queue_behind_it_drains(server: Server) -> None:
    _client, freelancer, order = market(server)
    missing = str(uuid.uuid4())
    batch = [
        freelancer.op("place_bid", order_id=missing, amount_fen=100_000, days=3),
        freelancer.op("place_bid", order_id=order["id"], amount_fen=100_000, days=3),
        freelancer.op("send_message", order_id=order["id"], text="已出价"),
    ]
    results = freelancer.push_ok(*batch)
    assert [r["status"] for r in results] == ["rejected", "applied", "applied"]
    assert results[0]["code"] == "not_found"
    assert results[0]["reason"]
    assert freelancer.push().json()["last_seq"] == 3
    # The rejection is stored like any outcome: a retry gets it back, marked duplicate.
    replay = freelancer.push_ok(batch[0])[0]
    assert replay["status"] == "duplicate"
    assert (replay["outcome"], replay["code"]) == ("rejected", "not_found")


def test_a_refused_op_leaves_no_trace_of_its_partial_work(server: Server) -> None:
    client, freelancer, order = market(server)
    bid = freelancer.apply("place_bid", order_id=order["id"], amount_fen=300_000, days=3)
    client.apply("award_bid", order_id=order["id"], bid_id=bid["id"])
    changes = count(server, change_log)
    (result,) = client.push_ok(client.op("award_bid", order_id=order["id"], bid_id=bid["id"]))
    assert (result["status"], result["code"]) == ("rejected", "order_awarded")
    assert count(server, change_log) == changes


@pytest.mark.parametrize(
    ("intent", "args", "code"),
    [
        ("place_bid", {"order_id": "x", "amount_fen": 1, "days": 1}, "invalid_input"),
        (
            "place_bid",
            {"order_id": str(uuid.uuid4()), "amount_fen": -5, "days": 1},
            "invalid_input",
        ),
        (
            "place_bid",
            {"order_id": str(uuid.uuid4()), "amount_fen": "100", "days": 1},
            "invalid_input",
        ),
        (
            "place_bid",
            {"order_id": str(uuid.uuid4()), "amount_fen": 100, "days": 1, "status": "awarded"},
            "invalid_input",
        ),
        ("send_message", ["not", "an", "object"], "invalid_input"),
        ("post_order", {"title": "缺预算"}, "invalid_input"),
        ("launch_rocket", {}, "unknown_intent"),
    ],
)
def test_a_malformed_op_is_a_permanent_rejection_not_an_error(
    sqlite_server: Server, intent: str, args: Any, code: str
) -> None:
    device = Device(sqlite_server, sqlite_server.register("both"))
    op = {"seq": 1, "op_id": str(uuid.uuid4()), "intent": intent, "args": args}
    (result,) = device.push_ok(op)
    assert (result["status"], result["code"]) == ("rejected", code)
    assert device.push().json()["last_seq"] == 1


def test_a_seq_reused_for_another_op_is_a_conflict_and_not_applied(server: Server) -> None:
    _client, freelancer, order = market(server)
    freelancer.apply("place_bid", order_id=order["id"], amount_fen=400_000, days=5)
    freelancer.apply("send_message", order_id=order["id"], text="一")
    impostor = {**freelancer.op("send_message", order_id=order["id"], text="冒名"), "seq": 1}
    (result,) = freelancer.push_ok(impostor)
    assert result["status"] == "conflict"
    assert (result["code"], result["expected_seq"]) == ("seq_conflict", 3)
    assert count(server, messages) == 1


def test_an_op_renumbered_under_a_new_seq_is_answered_not_applied_again(server: Server) -> None:
    """A client that renumbers its queue (after a gap: the server was restored) may send an
    operation the server already has under another seq: stored result, last_seq moves on."""
    _client, freelancer, order = market(server)
    op = freelancer.op("place_bid", order_id=order["id"], amount_fen=200_000, days=4)
    (first,) = freelancer.push_ok(op)
    (again,) = freelancer.push_ok({**op, "seq": 2})
    assert (again["status"], again["outcome"]) == ("duplicate", "applied")
    assert again["result"] == first["result"]
    assert freelancer.push().json()["last_seq"] == 2
    assert count(server, bids) == 1
    # and the renumbered copy is itself idempotent
    assert freelancer.push_ok({**op, "seq": 2})[0]["status"] == "duplicate"


def test_another_users_op_id_is_refused_without_its_result(server: Server) -> None:
    _client, freelancer, order = market(server)
    freelancer.apply("place_bid", order_id=order["id"], amount_fen=400_000, days=5)
    op = freelancer.op("send_message", order_id=order["id"], text="私信内容")
    freelancer.push_ok(op)
    snoop = Device(server, server.register("freelancer"))
    (result,) = snoop.push_ok({**op, "seq": 1})
    assert (result["status"], result["code"]) == ("rejected", "op_id_conflict")
    assert "result" not in result
    assert "私信内容" not in json.dumps(result, ensure_ascii=False)
    assert snoop.push().json()["last_seq"] == 1


def test_a_client_id_belongs_to_the_user_who_first_used_it(server: Server) -> None:
    _client, freelancer, order = market(server)
    freelancer.apply("place_bid", order_id=order["id"], amount_fen=400_000, days=5)
    freelancer.push_ok(freelancer.op("send_message", order_id=order["id"], text="一"))
    thief = Device(server, server.register("freelancer"), client_id=freelancer.client_id)
    response = thief.push(thief.op("send_message", order_id=order["id"], text="二"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    with server.db.read() as conn:
        owner = conn.scalar(
            select(sync_clients.c.user_id).where(sync_clients.c.client_id == freelancer.client_id)
        )
    assert owner == freelancer.user["id"]


def test_the_clients_clock_does_not_matter(server: Server) -> None:
    """created_at is display only: a client a day off gets the same outcome and times."""
    _client, freelancer, order = market(server)
    op = freelancer.op("place_bid", order_id=order["id"], amount_fen=200_000, days=4)
    op["created_at"] = "2026-11-24T09:00:00Z"
    (result,) = freelancer.push_ok(op)
    assert result["result"]["created_at"] == "2026-11-25T09:00:00Z"  # the server's clock


def test_push_needs_a_signed_in_user(sqlite_server: Server) -> None:
    response = sqlite_server.client.post("/v1/sync/push", json={"client_id": "x", "ops": []})
    assert response.status_code == 401


def test_a_gzip_push_is_accepted(server: Server) -> None:
    _client, freelancer, order = market(server)
    freelancer.apply("place_bid", order_id=order["id"], amount_fen=400_000, days=5)
    ops = [
        freelancer.op("send_message", order_id=order["id"], text=f"第{n}条消息")
        for n in range(1, 21)
    ]
    response = freelancer.push(*ops, gzipped=True)
    assert response.status_code == 200, response.text
    assert {r["status"] for r in response.json()["results"]} == {"applied"}
    assert count(server, messages) == 20


def test_bad_encodings_are_refused_cleanly(sqlite_server: Server) -> None:
    device = Device(sqlite_server, sqlite_server.register("both"))
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    token = device.user["token"]
    not_gzip = sqlite_server.request(
        "POST", "/v1/sync/push", token, content=b'{"client_id": "a"}', headers=headers
    )
    assert (not_gzip.status_code, not_gzip.json()["code"]) == (422, "invalid_input")
    cut = gzip.compress(b'{"client_id": "a", "ops": []}')[:-6]
    truncated = sqlite_server.request("POST", "/v1/sync/push", token, content=cut, headers=headers)
    assert truncated.status_code == 422
    brotli = {**headers, "content-encoding": "br"}
    other = sqlite_server.request("POST", "/v1/sync/push", token, content=b"{}", headers=brotli)
    assert other.status_code == 415


def test_an_oversized_push_is_413(sqlite_url: str) -> None:
    server = make_server(sqlite_url, push_max_ops=3, max_body_bytes=64_000)
    with server.client:
        device = Device(server, server.register("both"))
        too_many = device.push(
            *(device.op("withdraw_bid", bid_id=str(uuid.uuid4())) for _ in range(4))
        )
        assert (too_many.status_code, too_many.json()["code"]) == (413, "too_large")
        huge = device.op("send_message", order_id=str(uuid.uuid4()), text="长" * 70_000)
        assert device.push(huge).status_code == 413
        # A gzip bomb: small on the wire, too large once inflated.
        bomb = json.dumps({"client_id": device.client_id, "ops": [], "pad": " " * 200_000})
        assert len(gzip.compress(bomb.encode())) < 64_000
        response = server.request(
            "POST",
            "/v1/sync/push",
            device.user["token"],
            content=gzip.compress(bomb.encode()),
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )
        assert (response.status_code, response.json()["code"]) == (413, "too_large")
        assert count(server, sync_ops) == 0


def test_a_busy_database_is_503_with_retry_after_and_nothing_is_lost(sqlite_url: str) -> None:
    server = make_server(sqlite_url, **CALM)
    with server.client:
        _client, freelancer, order = market(server)
        freelancer.apply("place_bid", order_id=order["id"], amount_fen=400_000, days=5)
        # Writers wait 0.2 s for the lock here instead of the production 30 s.
        event.listen(server.db.engine, "connect", _short_busy_timeout)
        server.db.engine.dispose()
        batch = [
            freelancer.op("send_message", order_id=order["id"], text="离线写的一"),
            freelancer.op("send_message", order_id=order["id"], text="离线写的二"),
        ]
        blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
        try:
            response = freelancer.push(*batch)
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            assert response.json()["code"] == "temporarily_unavailable"
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert count(server, messages) == 0
        results = freelancer.push_ok(*batch)
        assert [r["status"] for r in results] == ["applied", "applied"]
        assert count(server, messages) == 2


def _short_busy_timeout(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA busy_timeout=200")


def test_funding_by_push_completes_through_the_payment_notification(server: Server) -> None:
    client, freelancer, order = market(server)
    bid = freelancer.apply("place_bid", order_id=order["id"], amount_fen=500_000, days=10)
    client.apply("award_bid", order_id=order["id"], bid_id=bid["id"])
    client.apply("fund_order", order_id=order["id"])
    with server.db.read() as conn:
        status = conn.scalar(select(orders.c.status).where(orders.c.id == order["id"]))
    assert status == "in_progress"


def test_the_whole_flow_runs_through_push(server: Server) -> None:
    client, freelancer, order = market(server)
    bid = freelancer.apply("place_bid", order_id=order["id"], amount_fen=600_000, days=10)
    freelancer.apply("update_bid", bid_id=bid["id"], amount_fen=450_000)  # ≤ the unverified cap
    client.apply("award_bid", order_id=order["id"], bid_id=bid["id"])
    client.apply("fund_order", order_id=order["id"])
    sha = "ab" * 32
    files = [{"name": "原型.fig", "size": 1024, "sha256": sha}]
    freelancer.apply("deliver", order_id=order["id"], note="初稿", files=files)
    client.apply("request_revision", order_id=order["id"], note="按钮再大一点")
    freelancer.apply("deliver", order_id=order["id"], note="改好了")
    done = client.apply("accept_order", order_id=order["id"])
    assert done["status"] == "completed"
    client.apply("write_review", order_id=order["id"], stars=5, text="很专业")
    freelancer.apply("write_review", order_id=order["id"], stars=5)


def test_order_intents_edit_and_cancel(server: Server) -> None:
    client, _freelancer, order = market(server)
    edited = client.apply(
        "edit_order",
        order_id=order["id"],
        title="新标题",
        location={"lat": 31.2, "lon": 121.5, "radius_km": 10},
    )
    assert edited["title"] == "新标题"
    assert edited["location"] == {"lat": 31.2, "lon": 121.5, "radius_km": 10}
    assert (
        client.apply("cancel_order", order_id=order["id"], note="不需要了")["status"] == "cancelled"
    )
    bid = Device(server, server.register("freelancer"))
    (late,) = bid.push_ok(bid.op("place_bid", order_id=order["id"], amount_fen=1, days=1))
    assert late["status"] == "rejected"


def test_every_intent_is_registered() -> None:
    from jiedan_cli.server.services.intents import MODELS

    assert set(MODELS) == {
        "post_order",
        "edit_order",
        "cancel_order",
        "place_bid",
        "update_bid",
        "withdraw_bid",
        "award_bid",
        "send_message",
        "deliver",
        "fund_order",
        "request_revision",
        "accept_order",
        "request_refund",
        "approve_refund",
        "open_dispute",
        "write_review",
        "check_in",
        "redeem_points",
    }


def test_a_push_or_pull_naming_another_account_is_refused_before_anything_moves(
    server: Server,
) -> None:
    """`user_id` names whose replica syncs: another account's token is refused (409
    replica_of_another_account) before its operations are applied or any change is handed
    out — the check the client made with a `GET /v1/me` round trip of its own."""
    _client, freelancer, order = market(server)
    stranger = server.register("freelancer")
    bid = freelancer.op("place_bid", order_id=order["id"], amount_fen=300_000, days=5)
    body = {"client_id": freelancer.client_id, "ops": [bid]}

    pushed = server.request(
        "POST",
        "/v1/sync/push",
        stranger["token"],
        json=body,
        params={"user_id": freelancer.user["id"]},
    )
    pulled = server.request(
        "GET", "/v1/sync/pull", stranger["token"], params={"user_id": freelancer.user["id"]}
    )

    for refused in (pushed, pulled):
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "replica_of_another_account"
    assert count(server, bids) == 0
    assert count(server, sync_clients, sync_clients.c.client_id == freelancer.client_id) == 0
    own = {"user_id": freelancer.user["id"]}
    assert (
        server.request(
            "POST", "/v1/sync/push", freelancer.user["token"], json=body, params=own
        ).json()["results"][0]["status"]
        == "applied"
    )
    assert server.request("GET", "/v1/sync/pull", freelancer.user["token"], params=own).is_success
