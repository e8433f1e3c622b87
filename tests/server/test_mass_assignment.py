"""Mass assignment (security.md; OWASP API3): a caller cannot set fields that are not theirs
to set — status, fees, balances, roles, owners, counters, verification, 2FA. For every
writable resource each such field, added to an otherwise valid body, is refused with 422
naming that field, and nothing stored changes. Sync push operations are held to the same
rule: such an argument rejects the operation, and it changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.server.db import tables
from tests.server.conftest import make_server
from tests.server.escrow_flow import SHA
from tests.server.scenario import PASSWORD, World, build_world

pytestmark = pytest.mark.xdist_group("mass_assignment")

# What a caller never sets, whatever the resource (each added to a valid body in turn).
OWNERSHIP = {
    "client_id": str(uuid.uuid4()),
    "freelancer_id": str(uuid.uuid4()),
    "user_id": str(uuid.uuid4()),
}
MONEY = {"fee": 0, "fee_fen": 0, "balance": 10**9, "balance_fen": 10**9}
ACCOUNT = {
    "role": "admin",
    "roles": ["admin"],
    "verification": "approved",
    "totp_enabled": False,
    "status": "active",
}
COUNTERS = {"bid_count": 0, "rating_count": 99, "rating_sum": 495, "completed_count": 99}
STATE = {"status": "completed", "created_at": "2020-01-01T00:00:00Z", "awarded_bid_id": "x"}
EVERYTHING = {**OWNERSHIP, **MONEY, **ACCOUNT, **COUNTERS, **STATE}

# Tables whose rows a refused request must leave exactly as they were.
STORED = (
    tables.users,
    tables.profiles,
    tables.portfolio_items,
    tables.orders,
    tables.bids,
    tables.milestones,
    tables.deliveries,
    tables.disputes,
    tables.messages,
    tables.reviews,
    tables.ledger_accounts,
    tables.ledger_transfers,
    tables.payouts,
    tables.points_balances,
    tables.points_entries,
    tables.fee_plans,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("mass-assignment") / "server.db"
    server = make_server(f"sqlite:///{path}", unverified_bids_per_day=1_000_000)
    with server.client:
        yield build_world(server)


def stored_state(w: World) -> dict[str, list[tuple[Any, ...]]]:
    with w.server.db.read() as conn:
        return {
            table.name: sorted(tuple(row) for row in conn.execute(select(table)).all())
            for table in STORED
        }


@dataclass(frozen=True)
class Writable:
    """A route that writes, a valid body for it, and the fields its caller may not set."""

    name: str
    method: str
    path: Callable[[World], str]
    caller: Callable[[World], dict[str, Any]]
    body: Callable[[World], dict[str, Any]]
    forbidden: dict[str, Any]


def order_body(_w: World) -> dict[str, Any]:
    return {
        "title": "小程序开发",
        "description": "一个点单小程序",
        "category": "development",
        "budget_min_fen": 100_000,
        "budget_max_fen": 300_000,
    }


WRITABLES = [
    Writable(
        "register",
        "POST",
        lambda w: "/v1/auth/register",
        lambda w: {"token": None},
        lambda w: {
            "email": f"x-{uuid.uuid4().hex[:8]}@example.com",
            "name": "新人",
            "password": PASSWORD,
        },
        {**EVERYTHING, "id": str(uuid.uuid4()), "password_hash": "x"},
    ),
    Writable(
        "profile",
        "PATCH",
        lambda w: "/v1/me/profile",
        lambda w: w.freelancer,
        lambda w: {"bio": "新简介"},
        {**EVERYTHING, "name": "改名", "email": "a@b.cn", "updated_at": "x"},
    ),
    Writable(
        "portfolio item",
        "POST",
        lambda w: "/v1/me/portfolio",
        lambda w: w.freelancer,
        lambda w: {"title": "作品"},
        {**OWNERSHIP, **STATE},
    ),
    Writable(
        "order",
        "POST",
        lambda w: "/v1/orders",
        lambda w: w.client,
        order_body,
        {**EVERYTHING, "my_bid": None, "currency": "USD"},
    ),
    Writable(
        "order edit",
        "PATCH",
        lambda w: f"/v1/orders/{w.open_order['id']}",
        lambda w: w.client,
        lambda w: {"title": "改个标题"},
        {**EVERYTHING, "id": str(uuid.uuid4()), "currency": "USD"},
    ),
    Writable(
        "bid",
        "POST",
        lambda w: f"/v1/orders/{w.open_order['id']}/bids",
        lambda w: w.other,
        lambda w: {"amount_fen": 90_000, "days": 5},
        {**EVERYTHING, "order_id": str(uuid.uuid4())},
    ),
    Writable(
        "bid edit",
        "PATCH",
        lambda w: f"/v1/bids/{w.open_bid['id']}",
        lambda w: w.bidder,
        lambda w: {"amount_fen": 70_000},
        {**EVERYTHING, "order_id": str(uuid.uuid4()), "id": str(uuid.uuid4())},
    ),
    Writable(
        "award",
        "POST",
        lambda w: f"/v1/orders/{w.open_order['id']}/award",
        lambda w: w.client,
        lambda w: {"bid_id": w.open_bid["id"]},
        {**OWNERSHIP, **MONEY, "amount_fen": 1, "status": "awarded"},
    ),
    Writable(
        "message",
        "POST",
        lambda w: f"/v1/orders/{w.open_order['id']}/messages",
        lambda w: w.bidder,
        lambda w: {"text": "你好"},
        {"sender_id": "x", "recipient_id": "x", "flagged": False, **STATE, **OWNERSHIP},
    ),
    Writable(
        "milestone",
        "POST",
        lambda w: f"/v1/orders/{w.working['id']}/milestones",
        lambda w: w.client,
        lambda w: {"title": "二期", "amount_fen": 10_000},
        {**STATE, **MONEY, "order_id": "x", "position": 0, "funded_at": "x", "settled_at": "x"},
    ),
    Writable(
        "funding",
        "POST",
        lambda w: f"/v1/orders/{w.working['id']}/fund",
        lambda w: w.client,
        lambda w: {},
        {"amount_fen": 1, "status": "funded", "provider": "x", "payment_intent_id": "x", **MONEY},
    ),
    Writable(
        "delivery",
        "POST",
        lambda w: f"/v1/orders/{w.working['id']}/deliveries",
        lambda w: w.freelancer,
        lambda w: {"note": "初稿", "files": [{"name": "a.ai", "size": 1, "sha256": SHA}]},
        {**STATE, **OWNERSHIP, "milestone_id": str(uuid.uuid4()), "order_id": "x"},
    ),
    Writable(
        "dispute",
        "POST",
        lambda w: f"/v1/orders/{w.working['id']}/dispute",
        lambda w: w.client,
        lambda w: {"reason": "有争议"},
        {**STATE, "to_freelancer_pct": 0, "resolved_by": "x", "opened_by": "x"},
    ),
    Writable(
        "review",
        "POST",
        lambda w: f"/v1/orders/{w.completed['id']}/reviews",
        lambda w: w.client,
        lambda w: {"stars": 5},
        {**STATE, "author_id": "x", "subject_id": "x", "revealed_at": "x", **COUNTERS},
    ),
    Writable(
        "withdrawal",
        "POST",
        lambda w: "/v1/earnings/withdraw",
        lambda w: w.freelancer,
        lambda w: {"amount_fen": 100},
        {**MONEY, **OWNERSHIP, "status": "paid", "provider_ref": "x", "available_fen": 10**9},
    ),
    Writable(
        "dispute resolution",
        "POST",
        lambda w: f"/v1/staff/disputes/{w.disputed['id']}/resolve",
        lambda w: w.staff["support"],
        lambda w: {"to_freelancer_pct": 50},
        {**MONEY, **STATE, "amount_fen": 1},
    ),
    Writable(
        "compensation",
        "POST",
        lambda w: f"/v1/staff/disputes/{w.disputed['id']}/compensate",
        lambda w: w.staff["finance"],
        lambda w: {"id": str(uuid.uuid4()), "to": "client", "amount_fen": 1, "reason": "欺诈"},
        {**MONEY, **OWNERSHIP, "source": "platform:fees", "recipient_id": "x", "kind": "x"},
    ),
    Writable(
        "fee plan",
        "POST",
        lambda w: "/v1/fees/plan",
        lambda w: w.freelancer,
        lambda w: {"plan": "commission"},
        {
            **MONEY,
            **OWNERSHIP,
            "paid_until": "2099-01-01T00:00:00Z",
            "periods": 0,
            "rate_bp": 0,
            "monthly_charge_fen": 0,
            "in_force": "membership",
        },
    ),
    Writable(
        "2fa confirmation",
        "POST",
        lambda w: "/v1/auth/2fa/confirm",
        lambda w: w.other,
        lambda w: {"otp": "123456"},
        {"totp_enabled": True, "totp_secret": "A" * 32, **ACCOUNT},
    ),
]


@pytest.mark.parametrize("writable", WRITABLES, ids=[w.name for w in WRITABLES])
def test_fields_the_caller_may_not_set_are_refused_and_change_nothing(
    world: World, writable: Writable
) -> None:
    before = stored_state(world)
    token = writable.caller(world)["token"]
    accepted = []
    for field, value in writable.forbidden.items():
        body = {**writable.body(world), field: value}
        response = world.server.request(writable.method, writable.path(world), token, json=body)
        problem = response.json()
        if response.status_code != 422 or not problem["detail"].startswith(f"{field}:"):
            accepted.append(f"{field}: {response.status_code} {response.text[:160]}")
    assert accepted == [], f"{writable.name} took fields that are not the caller's to set"
    assert stored_state(world) == before


def test_a_nested_delivered_file_takes_no_extra_fields(world: World) -> None:
    before = stored_state(world)
    file = {"name": "a.ai", "size": 1, "sha256": SHA, "url": "https://evil.example/x"}
    response = world.server.request(
        "POST",
        f"/v1/orders/{world.working['id']}/deliveries",
        world.freelancer["token"],
        json={"note": "初稿", "files": [file]},
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("files.0.url:")
    assert stored_state(world) == before


def test_registering_cannot_choose_a_staff_role(world: World) -> None:
    for role in ("admin", "support", "finance", "reviewer"):
        body = {"email": f"{role}@evil.example.com", "name": "x", "password": PASSWORD}
        response = world.server.request("POST", "/v1/auth/register", json={**body, "role": role})
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("role:")


# ---- sync push: the same rule for queued operations ----------------------------------------


def push_args(w: World) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """intent -> (the caller, valid args)."""
    order, bid, working = w.open_order["id"], w.open_bid["id"], w.working["id"]
    return {
        "post_order": (w.client, order_body(w)),
        "edit_order": (w.client, {"order_id": order, "title": "新标题"}),
        "cancel_order": (w.client, {"order_id": order}),
        "place_bid": (w.other, {"order_id": order, "amount_fen": 90_000, "days": 5}),
        "update_bid": (w.bidder, {"bid_id": bid, "amount_fen": 70_000}),
        "withdraw_bid": (w.bidder, {"bid_id": bid}),
        "award_bid": (w.client, {"order_id": order, "bid_id": bid}),
        "send_message": (w.bidder, {"order_id": order, "text": "你好"}),
        "deliver": (w.freelancer, {"order_id": working, "note": "初稿"}),
        "fund_order": (w.client, {"order_id": working}),
        "request_revision": (w.client, {"order_id": working, "note": "改"}),
        "accept_order": (w.client, {"order_id": working}),
        "request_refund": (w.client, {"order_id": working, "reason": "不要了"}),
        "approve_refund": (w.freelancer, {"order_id": working}),
        "open_dispute": (w.client, {"order_id": working, "reason": "争议"}),
        "write_review": (w.client, {"order_id": w.completed["id"], "stars": 5}),
        "check_in": (w.other, {}),
        "redeem_points": (w.other, {"kind": "coupon", "points": 100}),
    }


PUSH_FORBIDDEN = {
    "status": "completed",
    "client_id": str(uuid.uuid4()),
    "freelancer_id": str(uuid.uuid4()),
    "sender_id": str(uuid.uuid4()),
    "bid_count": 0,
    "fee_fen": 0,
    "balance_fen": 10**9,
    "roles": ["admin"],
}


def test_every_intent_is_known_to_the_mass_assignment_test(world: World) -> None:
    from jiedan_cli.server.services.intents import MODELS

    assert set(push_args(world)) == set(MODELS)


def test_a_pushed_operation_with_a_field_not_the_callers_is_rejected(world: World) -> None:
    before = stored_state(world)
    applied = []
    for intent, (user, args) in push_args(world).items():
        client_id = f"ma-{uuid.uuid4().hex[:12]}"
        fields = list(PUSH_FORBIDDEN)
        ops = [
            {"seq": n, "op_id": str(uuid.uuid4()), "intent": intent, "args": {**args, k: v}}
            for n, (k, v) in enumerate(PUSH_FORBIDDEN.items(), start=1)
        ]
        response = world.server.request(
            "POST", "/v1/sync/push", user["token"], json={"client_id": client_id, "ops": ops}
        )
        assert response.status_code == 200, response.text
        for field, result in zip(fields, response.json()["results"], strict=True):
            if result["status"] != "rejected" or result["code"] != "invalid_input":
                applied.append(f"{intent} with {field}: {result}")
            elif not result["reason"].startswith(f"{field}:"):
                applied.append(f"{intent} with {field}: rejected for {result['reason']}")
    assert applied == []
    assert stored_state(world) == before


def test_a_pushed_operation_takes_no_fields_beyond_the_protocol(world: World) -> None:
    op = {"seq": 1, "op_id": str(uuid.uuid4()), "intent": "post_order", "args": {}}
    body = {"client_id": f"ma-{uuid.uuid4().hex[:12]}", "ops": [{**op, "user_id": "x"}]}
    response = world.server.request("POST", "/v1/sync/push", world.client["token"], json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("ops.0.user_id:")
