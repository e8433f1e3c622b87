"""Redeeming points (积分兑换, #13), on SQLite and PostgreSQL: cash to the available earnings
through platform:promotions, or a fee coupon off the next releases' fees, at the published
rate (100 points = ¥1); never below zero, never twice under retries, offline replays or
concurrent redemptions."""

from __future__ import annotations

import uuid
from typing import Any

from jiedan_cli.domain.ledger import PLATFORM_PROMOTIONS, PROMOTIONS_FUNDING, freelancer_available
from jiedan_cli.server.services import redemptions
from tests.server.conftest import Server
from tests.server.devices import Device
from tests.server.escrow_flow import (
    act,
    actor_of,
    assert_ledger_sound,
    balances,
    completed,
    delivered,
    ok,
    transfers,
)
from tests.server.test_money_races import race

AMOUNT = 400_000  # a completed order of ¥4,000 earns each side 400 points


def points(server: Server, user: dict[str, Any]) -> int:
    return int(ok(server.request("GET", "/v1/points", user["token"]))["balance"])


def redeem(server: Server, user: dict[str, Any], **body: Any) -> Any:
    return server.request("POST", "/v1/points/redeem", user["token"], json=body)


def test_cash_goes_to_earnings_through_promotions_once(server: Server) -> None:
    _client, freelancer, _order = completed(server, amount_fen=AMOUNT)
    before = balances(server)[freelancer_available(freelancer["id"])]
    assert points(server, freelancer) == 400
    rid = str(uuid.uuid4())
    first = ok(redeem(server, freelancer, id=rid, kind="cash", points=250))
    assert (first["id"], first["kind"], first["points"], first["value_fen"]) == (
        rid, "cash", 250, 250,
    )  # fmt: skip
    again = ok(redeem(server, freelancer, id=rid, kind="cash", points=250))  # a retry
    assert again == first
    money = balances(server)
    assert money[freelancer_available(freelancer["id"])] == before + 250
    assert money[PLATFORM_PROMOTIONS] == 0 and money[PROMOTIONS_FUNDING] == -250
    assert points(server, freelancer) == 150
    other = redeem(server, freelancer, id=rid, kind="cash", points=100)  # the id, other fields
    assert other.status_code == 409
    assert_ledger_sound(server.db)


def test_more_than_the_balance_is_refused_and_moves_nothing(server: Server) -> None:
    _client, freelancer, _order = completed(server, amount_fen=AMOUNT)
    refused = redeem(server, freelancer, kind="cash", points=401)
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_points"
    assert points(server, freelancer) == 400
    assert PLATFORM_PROMOTIONS not in balances(server) or balances(server)[PLATFORM_PROMOTIONS] == 0
    small = redeem(server, freelancer, kind="coupon", points=99)
    assert small.status_code == 422


def test_a_coupon_comes_off_the_next_fees_until_used_up(server: Server) -> None:
    _client, freelancer, _order = completed(server, amount_fen=AMOUNT)  # waiver: first order
    ok(redeem(server, freelancer, kind="coupon", points=300))  # ¥3 off the next fees
    client, _f, order = delivered(server, amount_fen=2_000, freelancer=freelancer)
    ok(act(server, client, order["id"], "accept"))
    assert transfers(server, kind="fee", order_id=order["id"]) == []  # ¥2 fee: covered
    client, _f, order = delivered(server, amount_fen=2_000, freelancer=freelancer)
    ok(act(server, client, order["id"], "accept"))
    assert [t.amount_fen for t in transfers(server, kind="fee", order_id=order["id"])] == [100]
    with server.db.read() as conn:
        assert redemptions.coupons_left(conn, freelancer["id"]) == 0
    assert_ledger_sound(server.db)


def test_an_offline_redemption_replayed_is_spent_once(server: Server) -> None:
    _client, freelancer, _order = completed(server, amount_fen=AMOUNT)
    device = Device(server, freelancer)
    rid = str(uuid.uuid4())
    op = device.op("redeem_points", id=rid, kind="cash", points=200)
    (first,) = device.push_ok(op)
    (replayed,) = device.push_ok(op)  # the same operation pushed again
    (renumbered,) = device.push_ok(device.op("redeem_points", id=rid, kind="cash", points=200))
    assert (first["status"], replayed["status"]) == ("applied", "duplicate")
    assert renumbered["status"] == "applied" and renumbered["result"] == first["result"]
    assert points(server, freelancer) == 200
    cash = transfers(server, destination=freelancer_available(freelancer["id"]), kind="promotion")
    assert [t.amount_fen for t in cash] == [200]


def test_concurrent_redemptions_never_overdraw_the_points(server: Server) -> None:
    _client, freelancer, _order = completed(server, amount_fen=AMOUNT)
    who, now = actor_of(freelancer), server.clock.now

    def spend() -> Any:
        with server.db.write() as conn:
            return redemptions.redeem_points(conn, who, kind="cash", points=150, now=now)

    outcomes = race([spend] * 5)
    assert outcomes["ok"] == 2, outcomes  # 400 points: two of 150, never a third
    assert points(server, freelancer) == 100
    assert_ledger_sound(server.db)
