"""Held actions and the staff review queue (#12), on SQLite and PostgreSQL, through the real
API with the real rules at low limits: a freelancer's second quote within a minute trips
`bid_velocity` (JIEDAN_SERVER_RISK_LIMITS "bids=1"), held at the default review threshold,
blocked where the block threshold is as low. A hold is decided exactly once, by a reviewer
or an admin who is not party to it; a pushed operation's stored result follows the decision."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from jiedan_cli.server.db.tables import audit_log, bids, risk_holds, sync_ops, users
from jiedan_cli.server.services import accounts
from tests.server.conftest import Server, make_server
from tests.server.devices import Device
from tests.server.escrow_flow import staff
from tests.server.market import place_bid, post_order

BID = {"amount_fen": 80_000, "days": 5, "message": "三天出初稿"}


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    srv = make_server(database_url, risk_record=True, risk_limits="bids=1")
    with srv.client:
        yield srv


@pytest.fixture
def strict_server(database_url: str) -> Iterator[Server]:
    """Blocks what the other holds."""
    srv = make_server(
        database_url, risk_record=True, risk_limits="bids=1", risk_review_at=50, risk_block_at=50
    )
    with srv.client:
        yield srv


def count(server: Server, table: Any, *where: Any) -> int:
    with server.db.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def hold_row(server: Server, hold_id: str) -> Any:
    with server.db.read() as conn:
        return conn.execute(select(risk_holds).where(risk_holds.c.id == hold_id)).one()


def two_orders(server: Server) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """(client, freelancer, [two open orders]), the freelancer's first quote placed."""
    client, freelancer = server.register("client"), server.register("freelancer")
    orders = [post_order(server, client), post_order(server, client)]
    place_bid(server, freelancer, orders[0]["id"])
    return client, freelancer, orders


def bid_via_rest(server: Server, freelancer: dict[str, Any], order_id: str) -> Any:
    return server.request("POST", f"/v1/orders/{order_id}/bids", freelancer["token"], json=BID)


def decide(server: Server, who: dict[str, Any], hold_id: str, verdict: str, **body: Any) -> Any:
    path = f"/v1/staff/holds/{hold_id}/{verdict}"
    return server.request("POST", path, who["token"], json=body or None)


def test_a_held_bid_waits_and_is_applied_once_when_released(server: Server) -> None:
    _client, freelancer, orders = two_orders(server)
    answer = bid_via_rest(server, freelancer, orders[1]["id"])
    assert answer.status_code == 202, answer.text
    held = answer.json()
    assert held["status"] == "held" and held["action"] == "bid"
    assert "quotes in a minute" in held["reason"]
    mine = (bids.c.order_id == orders[1]["id"], bids.c.freelancer_id == freelancer["id"])
    assert count(server, bids, *mine) == 0  # neither applied …
    reviewer = staff(server, "reviewer")
    queue = server.request("GET", "/v1/staff/holds", reviewer["token"]).json()
    (item,) = [h for h in queue if h["id"] == held["id"]]  # … nor lost
    assert item["user"]["id"] == freelancer["id"]
    assert [f["name"] for f in item["fired"]] == ["bid_velocity"]
    assert item["facts"]["bids_in_window"] == 1
    released = decide(server, reviewer, held["id"], "release")
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    assert released.json()["outcome"]["order_id"] == orders[1]["id"]
    assert count(server, bids, *mine) == 1
    again = decide(server, staff(server, "admin"), held["id"], "release")
    assert again.status_code == 409 and again.json()["code"] == "hold_decided"
    assert count(server, bids, *mine) == 1
    assert held["id"] not in [
        h["id"] for h in server.request("GET", "/v1/staff/holds", reviewer["token"]).json()
    ]
    actions = {"risk.held", "risk.hold_released"}
    assert (
        count(server, audit_log, audit_log.c.target == held["id"], audit_log.c.action.in_(actions))
        == 2
    )


def test_a_held_bid_blocked_is_never_applied(server: Server) -> None:
    _client, freelancer, orders = two_orders(server)
    held = bid_via_rest(server, freelancer, orders[1]["id"]).json()
    reviewer = staff(server, "reviewer")
    blocked = decide(server, reviewer, held["id"], "block", reason="刷单嫌疑")
    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["status"] == "blocked"
    assert blocked.json()["decision_reason"] == "刷单嫌疑"
    again = decide(server, reviewer, held["id"], "release")
    assert again.status_code == 409
    assert count(server, bids, bids.c.order_id == orders[1]["id"]) == 0


def test_a_release_that_can_no_longer_apply_fails_with_the_reason(server: Server) -> None:
    client, freelancer, orders = two_orders(server)
    held = bid_via_rest(server, freelancer, orders[1]["id"]).json()
    cancelled = server.request("POST", f"/v1/orders/{orders[1]['id']}/cancel", client["token"])
    assert cancelled.status_code == 200, cancelled.text
    released = decide(server, staff(server, "reviewer"), held["id"], "release")
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "failed"
    assert released.json()["decision_reason"]
    assert count(server, bids, bids.c.order_id == orders[1]["id"]) == 0


def test_blocked_at_once_is_refused_and_kept_for_staff(strict_server: Server) -> None:
    _client, freelancer, orders = two_orders(strict_server)
    answer = bid_via_rest(strict_server, freelancer, orders[1]["id"])
    assert answer.status_code == 409, answer.text
    problem = answer.json()
    assert problem["code"] == "risk_blocked" and "quotes in a minute" in problem["detail"]
    assert hold_row(strict_server, problem["hold_id"]).status == "blocked"
    assert count(strict_server, bids, bids.c.order_id == orders[1]["id"]) == 0


def test_a_pushed_held_op_completes_when_released_and_its_op_id_answers_that(
    server: Server,
) -> None:
    _client, freelancer, orders = two_orders(server)
    device = Device(server, freelancer)
    op = device.op("place_bid", order_id=orders[1]["id"], id=_uuid(), **BID)
    response = device.push(op)
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["status"] == "held" and result["hold_id"]
    assert response.json()["last_seq"] == 1  # answered: the queue moves on
    assert count(server, bids, bids.c.id == op["args"]["id"]) == 0
    (again,) = device.push(op).json()["results"]
    assert again["status"] == "duplicate" and again["outcome"] == "held"
    hold = hold_row(server, result["hold_id"])
    assert (hold.client_id, hold.op_id) == (device.client_id, op["op_id"])
    decided = decide(server, staff(server, "reviewer"), result["hold_id"], "release")
    assert decided.json()["status"] == "released", decided.text
    assert count(server, bids, bids.c.id == op["args"]["id"]) == 1
    (final,) = device.push(op).json()["results"]
    assert final["status"] == "duplicate" and final["outcome"] == "applied"
    assert final["result"]["id"] == op["args"]["id"]
    assert count(server, bids, bids.c.id == op["args"]["id"]) == 1


def test_a_pushed_held_op_blocked_is_rejected_with_the_reason(server: Server) -> None:
    _client, freelancer, orders = two_orders(server)
    device = Device(server, freelancer)
    op = device.op("place_bid", order_id=orders[1]["id"], id=_uuid(), **BID)
    (result,) = device.push_ok(op)
    decided = decide(server, staff(server, "admin"), result["hold_id"], "block", reason="刷单")
    assert decided.status_code == 200, decided.text
    (final,) = device.push(op).json()["results"]
    assert (final["outcome"], final["reason"]) == ("rejected", "刷单")
    with server.db.read() as conn:
        stored = conn.execute(select(sync_ops).where(sync_ops.c.op_id == op["op_id"])).one()
    assert stored.status == "rejected"
    assert count(server, bids, bids.c.id == op["args"]["id"]) == 0


def test_staff_never_decide_what_they_are_party_to(server: Server) -> None:
    # the client and the freelancer sign in from one install: the award is held
    install = {"X-Jiedan-Install": "party-install-0001"}
    client, freelancer = (
        _signed_in(server, server.register(role), install) for role in ("client", "freelancer")
    )
    order = post_order(server, client)
    bid = place_bid(server, freelancer, order["id"])
    answer = server.request(
        "POST",
        f"/v1/orders/{order['id']}/award",
        client["token"],
        json={"bid_id": bid["id"]},
        headers=install,
    )
    assert answer.status_code == 202, answer.text
    hold_id = answer.json()["id"]
    assert "linked_counterpart" in [f["name"] for f in hold_row(server, hold_id).fired]
    for party in (client, freelancer):  # the held user, and the counterpart
        with server.db.write() as conn:
            accounts.create_staff(
                conn,
                email=party["email"],
                role="reviewer",
                password=None,
                name="x",
                now=server.clock.now,
                promote=True,
            )
        refused = decide(server, party, hold_id, "release")
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "staff_party"
    assert hold_row(server, hold_id).status == "held"
    support = staff(server, "support")
    assert server.request("GET", "/v1/staff/holds", support["token"]).status_code == 403


def test_a_held_registration_is_made_and_a_block_closes_it(database_url: str) -> None:
    srv = make_server(database_url, risk_record=True, risk_limits="accounts_on_device=2")
    with srv.client:
        headers = {"X-Jiedan-Install": "shared-install-0001"}
        first = srv.client.post("/v1/auth/register", json=_registration(1), headers=headers)
        second = srv.client.post("/v1/auth/register", json=_registration(2), headers=headers)
        assert first.status_code == second.status_code == 201, second.text
        user_id = second.json()["user"]["id"]
        with srv.db.read() as conn:
            (hold,) = conn.execute(select(risk_holds).where(risk_holds.c.user_id == user_id)).all()
        assert (hold.action, hold.intent, hold.status) == ("register", None, "held")
        decided = decide(srv, staff(srv, "reviewer"), hold.id, "block", reason="批量注册")
        assert decided.status_code == 200, decided.text
        with srv.db.read() as conn:
            assert conn.scalar(select(users.c.status).where(users.c.id == user_id)) == "closed"
        me = srv.request("GET", "/v1/me", second.json()["token"])
        assert me.status_code == 401


def _signed_in(server: Server, user: dict[str, Any], install: dict[str, str]) -> dict[str, Any]:
    """`user` signed in again from `install` (the link the risk engine reads)."""
    body = {"email": user["email"], "password": "correct horse 42"}
    answer = server.client.post("/v1/auth/login", json=body, headers=install)
    assert answer.status_code == 200, answer.text
    return {**user, "token": answer.json()["token"]}


def _registration(n: int) -> dict[str, str]:
    return {"email": f"held-{n}@example.com", "name": f"新人{n}", "password": "correct horse 42"}


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())
