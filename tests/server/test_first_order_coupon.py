"""The clients' first-order coupon (新客首单券, #13), on SQLite and PostgreSQL: a client's first
payment is the milestone less the coupon, the platform pays the coupon into escrow through
platform:promotions in the posting that credits the payment, once under retries and replayed
pushes; a refund or a split gives the coupon's share back to the platform, never to the
client; one per client, withheld when the install was seen with an account that had one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jiedan_cli.domain.ledger import PLATFORM_PROMOTIONS, PROMOTIONS_FUNDING, external
from jiedan_cli.server.payments.sandbox import notification_for
from jiedan_cli.server.services.first_order_coupons import NOT_FIRST, SHARED_INSTALL
from tests.server.conftest import CALM, Server, make_server
from tests.server.devices import Device
from tests.server.escrow_flow import (
    act,
    assert_ledger_sound,
    awarded,
    balances,
    completed,
    funded,
    ok,
    staff,
    transfers,
)

CAP = 1_000  # ¥10
AMOUNT = 80_000


@pytest.fixture
def coupons(database_url: str) -> Iterator[Server]:
    """A calm server (the engine holds nothing) with the coupon on at ¥10."""
    srv = make_server(database_url, **CALM, first_order_coupon_fen=CAP)
    with srv.client:
        yield srv


def standing(server: Server, user: dict[str, Any]) -> dict[str, Any]:
    return ok(server.request("GET", "/v1/me/first-order-coupon", user["token"]))


def kinds(server: Server, milestone_id: str) -> dict[str, int]:
    return {t.id.split(":")[0]: t.amount_fen for t in transfers(server, milestone_id=milestone_id)}


def milestone_of(server: Server, user: dict[str, Any], order_id: str) -> dict[str, Any]:
    response = server.request("GET", f"/v1/orders/{order_id}/milestones", user["token"])
    [milestone] = ok(response)["items"] if isinstance(response.json(), dict) else response.json()
    return dict(milestone)


def test_the_first_payment_is_less_the_coupon_and_escrow_holds_it_all(coupons: Server) -> None:
    client, freelancer, order = awarded(coupons, amount_fen=AMOUNT)
    assert standing(coupons, client)["status"] == "available"
    assert standing(coupons, client)["amount_fen"] == CAP
    funding = ok(act(coupons, client, order["id"], "fund"))
    intent = funding["payment_intent"]
    assert (intent["amount_fen"], intent["coupon_fen"]) == (AMOUNT - CAP, CAP)
    milestone_id = intent["milestone_id"]
    assert kinds(coupons, milestone_id) == {"fund": AMOUNT - CAP, "coupon-fund": CAP, "coupon": CAP}
    money = balances(coupons)
    assert money[f"escrow:{milestone_id}"] == AMOUNT
    assert money[PLATFORM_PROMOTIONS] == 0 and money[PROMOTIONS_FUNDING] == -CAP
    assert money[external("sandbox")] == -(AMOUNT - CAP)
    mine = standing(coupons, client)
    assert (mine["status"], mine["amount_fen"], mine["order_id"]) == ("applied", CAP, order["id"])
    exported = ok(coupons.request("GET", "/v1/me/export", client["token"]))
    assert [c["amount_fen"] for c in exported["first_order_coupon"]] == [CAP]  # its owner's data
    # the release is the usual one: the freelancer is paid the whole milestone less the fee
    ok(act(coupons, freelancer, order["id"], "deliveries", note="初稿", files=[]), 201)
    ok(act(coupons, client, order["id"], "accept"))
    paid = kinds(coupons, milestone_id)
    assert paid["release"] + paid.get("fee", 0) == AMOUNT
    assert_ledger_sound(coupons.db)


def test_one_per_client_the_next_payment_is_whole(coupons: Server) -> None:
    client, freelancer, _order = completed(coupons, amount_fen=AMOUNT)
    _c, _f, second = awarded(coupons, amount_fen=AMOUNT, client=client, freelancer=freelancer)
    funding = ok(act(coupons, client, second["id"], "fund"))
    assert (funding["payment_intent"]["amount_fen"], funding["payment_intent"]["coupon_fen"]) == (
        AMOUNT, 0,
    )  # fmt: skip
    assert len(transfers(coupons, kind="coupon")) == 1
    assert balances(coupons)[PROMOTIONS_FUNDING] == -CAP
    assert_ledger_sound(coupons.db)


def test_a_small_first_payment_gets_at_most_half(coupons: Server) -> None:
    client, _f, order = awarded(coupons, amount_fen=1_500)
    intent = ok(act(coupons, client, order["id"], "fund"))["payment_intent"]
    assert (intent["amount_fen"], intent["coupon_fen"]) == (750, 750)


def test_a_replayed_push_and_a_replayed_notification_apply_it_once(coupons: Server) -> None:
    client, _freelancer, order = awarded(coupons, amount_fen=AMOUNT)
    device = Device(coupons, client)
    fund = device.op("fund_order", order_id=order["id"])
    [first] = device.push_ok(fund)
    [again] = device.push_ok(fund)  # the same operation again (a retry, an offline replay)
    assert (first["status"], again["status"]) == ("applied", "duplicate")
    assert again["result"] == first["result"]  # the first answer, the coupon in it
    # the provider's notification, sent again: a duplicate, nothing moves
    intent = first["result"]["payment_intent"]
    body, headers = notification_for(
        coupons.settings.sandbox_webhook_secret,
        intent_id=intent["id"],
        amount_fen=intent["amount_fen"],
        now=coupons.clock.now,
    )
    replay = coupons.client.post("/v1/payments/sandbox/notify", content=body, headers=headers)
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    assert [t.amount_fen for t in transfers(coupons, kind="coupon")] == [CAP]
    assert balances(coupons)[f"escrow:{intent['milestone_id']}"] == AMOUNT
    assert_ledger_sound(coupons.db)


def test_a_refund_gives_the_coupon_back_to_the_platform_not_the_client(coupons: Server) -> None:
    client, freelancer, order = funded(coupons, amount_fen=AMOUNT)
    ok(act(coupons, client, order["id"], "refund-request", reason="计划取消"))
    ok(act(coupons, freelancer, order["id"], "refund-approve"))
    assert transfers(coupons, kind="coupon", source=PROMOTIONS_FUNDING) == []  # via promotions
    milestone_id = transfers(coupons, kind="fund")[0].milestone_id
    moves = kinds(coupons, milestone_id)
    assert moves["refund"] == AMOUNT - CAP  # what the client paid, and not a fen more
    assert moves["coupon-back"] == moves["coupon-return"] == CAP
    money = balances(coupons)
    assert money[f"escrow:{milestone_id}"] == 0
    assert money[PLATFORM_PROMOTIONS] == 0 and money[PROMOTIONS_FUNDING] == 0
    assert money[external("sandbox")] == 0
    assert standing(coupons, client)["status"] == "applied"  # used: one per client
    assert_ledger_sound(coupons.db)


@pytest.mark.parametrize(("to_freelancer_pct", "back"), [(70, 300), (33, 670), (0, CAP)])
def test_a_split_gives_the_coupons_share_of_the_clients_part_back(
    coupons: Server, to_freelancer_pct: int, back: int
) -> None:
    client, _freelancer, order = funded(coupons, amount_fen=AMOUNT)
    ok(act(coupons, client, order["id"], "dispute", reason="没按时交付"))
    resolved = coupons.request(
        "POST",
        f"/v1/staff/disputes/{order['id']}/resolve",
        staff(coupons, "support")["token"],
        json={"to_freelancer_pct": to_freelancer_pct},
    )
    assert resolved.status_code == 200, resolved.text
    milestone_id = transfers(coupons, kind="fund")[0].milestone_id
    moves = kinds(coupons, milestone_id)
    to_client = AMOUNT - AMOUNT * to_freelancer_pct // 100
    assert moves["coupon-back"] == moves["coupon-return"] == back
    assert moves["refund"] == to_client - back <= AMOUNT - CAP  # never more than was paid
    money = balances(coupons)
    assert money[f"escrow:{milestone_id}"] == 0 and money[PLATFORM_PROMOTIONS] == 0
    assert money[PROMOTIONS_FUNDING] == -(CAP - back)
    assert_ledger_sound(coupons.db)


def seen_on(server: Server, user: dict[str, Any], install: dict[str, str]) -> None:
    """A sign-in on the install links it to the account (services/devices.record_link)."""
    body = {"email": user["email"], "password": "correct horse 42"}
    assert server.client.post("/v1/auth/login", json=body, headers=install).status_code == 200


def test_an_install_shared_with_a_coupon_user_withholds_it(coupons: Server) -> None:
    install = {"X-Jiedan-Install": "shared-install-0001"}
    first, _f, order = awarded(coupons, amount_fen=AMOUNT)
    seen_on(coupons, first, install)
    ok(act(coupons, first, order["id"], "fund"))
    second, _f2, other = awarded(coupons, amount_fen=AMOUNT)
    assert standing(coupons, second)["status"] == "available"
    seen_on(coupons, second, install)
    said = standing(coupons, second)
    assert (said["status"], said["reason"]) == ("not_eligible", SHARED_INSTALL)
    intent = ok(act(coupons, second, other["id"], "fund"))["payment_intent"]
    assert (intent["amount_fen"], intent["coupon_fen"]) == (AMOUNT, 0)
    kept = standing(coupons, second)
    assert (kept["status"], kept["amount_fen"], kept["reason"]) == ("withheld", 0, SHARED_INSTALL)
    assert len(transfers(coupons, kind="coupon")) == 1


def test_a_client_who_paid_before_the_coupon_was_on_gets_none(database_url: str) -> None:
    off = make_server(database_url, **CALM)
    with off.client:
        client, _f, order = awarded(off, amount_fen=AMOUNT)
        assert standing(off, client)["status"] == "off"
        intent = ok(act(off, client, order["id"], "fund"))["payment_intent"]
        assert intent["coupon_fen"] == 0 and intent["amount_fen"] == AMOUNT
    on = make_server(database_url, **CALM, first_order_coupon_fen=CAP)
    with on.client:
        said = standing(on, client)
        assert (said["status"], said["reason"]) == ("not_eligible", NOT_FIRST)


def test_the_engine_assesses_the_whole_payment_and_a_hold_claims_nothing(
    database_url: str,
) -> None:
    """The risk engine sees the milestone's full amount (¥500 or more unverified: held); the
    held funding claims no coupon (its savepoint undoes it all); the release applies it once."""
    arrange = make_server(database_url, risk_record=False)
    with arrange.client:
        client, _freelancer, order = awarded(arrange, amount_fen=AMOUNT)
    srv = make_server(
        database_url,
        risk_record=True,
        risk_limits=f"unverified_large_amount_fen={AMOUNT}",  # the whole amount, not less CAP
        risk_review_at=30,
        first_order_coupon_fen=CAP,
    )
    with srv.client:
        answer = act(srv, client, order["id"], "fund")
        assert answer.status_code == 202 and answer.json()["action"] == "fund", answer.text
        assert standing(srv, client)["status"] == "available"  # nothing claimed
        assert transfers(srv, kind="coupon") == []
        reviewer = staff(srv, "reviewer")
        released = srv.request("POST", f"/v1/staff/holds/{answer.json()['id']}/release",
                               reviewer["token"])  # fmt: skip
        assert released.status_code == 200 and released.json()["status"] == "released"
        assert [t.amount_fen for t in transfers(srv, kind="coupon")] == [CAP]
        assert standing(srv, client)["status"] == "applied"
        milestone_id = transfers(srv, kind="coupon")[0].milestone_id
        assert balances(srv)[f"escrow:{milestone_id}"] == AMOUNT
        assert_ledger_sound(srv.db)
