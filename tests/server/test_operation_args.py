"""One model per operation (issue #11.2): every intent a client pushes has an argument model
(services/arguments.py), its REST route takes that model's body and merges the path ids in,
and a bad input is refused alike through REST and through /v1/sync/push — same field, same
words."""

from __future__ import annotations

import types
import typing
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.order_rules import CANCEL_NOTE_MAX
from jiedan_cli.server.api import ROUTERS
from jiedan_cli.server.services.arguments import Args
from jiedan_cli.server.services.intents import MODELS
from tests.server.conftest import Server, make_server
from tests.server.devices import Device, order_args

# intent → the REST route that does the same: (method, path)
ROUTES: dict[Intent, tuple[str, str]] = {
    Intent.POST_ORDER: ("POST", "/v1/orders"),
    Intent.EDIT_ORDER: ("PATCH", "/v1/orders/{order_id}"),
    Intent.CANCEL_ORDER: ("POST", "/v1/orders/{order_id}/cancel"),
    Intent.PLACE_BID: ("POST", "/v1/orders/{order_id}/bids"),
    Intent.UPDATE_BID: ("PATCH", "/v1/bids/{bid_id}"),
    Intent.WITHDRAW_BID: ("POST", "/v1/bids/{bid_id}/withdraw"),
    Intent.AWARD_BID: ("POST", "/v1/orders/{order_id}/award"),
    Intent.SEND_MESSAGE: ("POST", "/v1/orders/{order_id}/messages"),
    Intent.WRITE_REVIEW: ("POST", "/v1/orders/{order_id}/reviews"),
    Intent.CHECK_IN: ("POST", "/v1/points/checkin"),
    Intent.REDEEM_POINTS: ("POST", "/v1/points/redeem"),
    Intent.DELIVER: ("POST", "/v1/orders/{order_id}/deliveries"),
    Intent.FUND_ORDER: ("POST", "/v1/orders/{order_id}/fund"),
    Intent.REQUEST_REVISION: ("POST", "/v1/orders/{order_id}/revise"),
    Intent.ACCEPT_ORDER: ("POST", "/v1/orders/{order_id}/accept"),
    Intent.REQUEST_REFUND: ("POST", "/v1/orders/{order_id}/refund-request"),
    Intent.APPROVE_REFUND: ("POST", "/v1/orders/{order_id}/refund-approve"),
    Intent.OPEN_DISPUTE: ("POST", "/v1/orders/{order_id}/dispute"),
}

ORDER, BID = str(uuid.uuid4()), str(uuid.uuid4())
FILE = {"name": "设计稿.pdf", "size": 1024, "sha256": "ab" * 32}

# intent → arguments the model takes (path ids included)
VALID: dict[Intent, dict[str, Any]] = {
    Intent.POST_ORDER: order_args(location={"lat": 31.2, "lon": 121.5, "radius_km": 10}),
    Intent.EDIT_ORDER: {"order_id": ORDER, "title": "新标题", "deadline": None},
    Intent.CANCEL_ORDER: {"order_id": ORDER, "note": "不需要了"},
    Intent.PLACE_BID: {"order_id": ORDER, "amount_fen": 500_000, "days": 7, "message": "可以"},
    Intent.UPDATE_BID: {"bid_id": BID, "days": 5},
    Intent.WITHDRAW_BID: {"bid_id": BID},
    Intent.AWARD_BID: {"order_id": ORDER, "bid_id": BID},
    Intent.SEND_MESSAGE: {"order_id": ORDER, "text": "你好", "to": str(uuid.uuid4())},
    Intent.WRITE_REVIEW: {"order_id": ORDER, "stars": 5, "text": "很好"},
    Intent.CHECK_IN: {"day": "2026-11-25"},
    Intent.REDEEM_POINTS: {"id": str(uuid.uuid4()), "kind": "coupon", "points": 500},
    Intent.DELIVER: {"order_id": ORDER, "note": "完成了", "files": [FILE]},
    Intent.FUND_ORDER: {"order_id": ORDER, "milestone_id": str(uuid.uuid4())},
    Intent.REQUEST_REVISION: {"order_id": ORDER, "note": "再改改"},
    Intent.ACCEPT_ORDER: {"order_id": ORDER},
    Intent.REQUEST_REFUND: {"order_id": ORDER, "reason": "没做完"},
    Intent.APPROVE_REFUND: {"order_id": ORDER},
    Intent.OPEN_DISPUTE: {"order_id": ORDER, "reason": "联系不上", "id": str(uuid.uuid4())},
}

LEAVE_OUT = object()

# (intent, field, bad value or LEAVE_OUT): each refused by the model, whichever way it comes
BAD: list[tuple[Intent, str, Any]] = [
    (Intent.POST_ORDER, "description", LEAVE_OUT),  # required on both paths (was optional)
    (Intent.POST_ORDER, "title", ""),
    (Intent.POST_ORDER, "budget_min_fen", "300000"),
    (Intent.POST_ORDER, "tags", ["标签"] * 11),
    (Intent.POST_ORDER, "location", {"lat": 91.0, "lon": 121.5, "radius_km": 10.0}),
    (Intent.POST_ORDER, "id", "not-a-uuid"),
    (Intent.POST_ORDER, "status", "completed"),
    (Intent.EDIT_ORDER, "title", "两\n行"),
    (Intent.EDIT_ORDER, "location", {"lat": 31.2}),
    (Intent.EDIT_ORDER, "client_id", str(uuid.uuid4())),
    (Intent.CANCEL_ORDER, "note", "长" * (CANCEL_NOTE_MAX + 1)),
    (Intent.PLACE_BID, "amount_fen", -5),
    (Intent.PLACE_BID, "days", True),
    (Intent.PLACE_BID, "days", 0),
    (Intent.UPDATE_BID, "amount_fen", 1.5),
    (Intent.UPDATE_BID, "status", "awarded"),
    (Intent.AWARD_BID, "bid_id", "no-such-bid"),
    (Intent.AWARD_BID, "bid_id", LEAVE_OUT),
    (Intent.SEND_MESSAGE, "text", ""),
    (Intent.SEND_MESSAGE, "to", "someone"),
    (Intent.WRITE_REVIEW, "stars", 6),
    (Intent.WRITE_REVIEW, "stars", "5"),
    (Intent.CHECK_IN, "day", "yesterday"),
    (Intent.REDEEM_POINTS, "points", 99),
    (Intent.REDEEM_POINTS, "points", "500"),
    (Intent.REDEEM_POINTS, "kind", "gold"),
    (Intent.DELIVER, "note", LEAVE_OUT),
    (Intent.DELIVER, "files", [{**FILE, "size": -1}]),
    (Intent.DELIVER, "files", [{**FILE, "sha256": "nope"}]),
    (Intent.FUND_ORDER, "milestone_id", "first"),
    (Intent.REQUEST_REVISION, "note", ""),
    (Intent.REQUEST_REFUND, "reason", LEAVE_OUT),
    (Intent.OPEN_DISPUTE, "reason", "\x1b[31m"),
    (Intent.OPEN_DISPUTE, "id", 42),
]


def path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


PATH_IDS = [(intent, name) for intent, (_, path) in ROUTES.items() for name in path_names(path)]


def rest_call(intent: Intent, args: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(method, url, body) of the REST request that asks for `args`."""
    method, path = ROUTES[intent]
    names = path_names(path)
    url = path.format(**{name: args[name] for name in names})
    return method, url, {k: v for k, v in args.items() if k not in names}


def body_model(intent: Intent) -> type[BaseModel] | None:
    """The model the intent's REST route takes its body as; None: it takes none."""
    method, path = ROUTES[intent]
    (route,) = [
        r
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and r.path == path and method in r.methods
    ]
    hint = typing.get_type_hints(route.endpoint).get("body")
    if isinstance(hint, types.UnionType):  # an optional body: `Model | None`
        (hint,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return hint


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path: Path = tmp_path_factory.mktemp("operation-args") / "server.db"
    srv = make_server(f"sqlite:///{path}")
    with srv.client:
        yield srv


@pytest.fixture(scope="module")
def device(server: Server) -> Device:
    return Device(server, server.register("both"))


def test_every_intent_has_a_model_and_a_route() -> None:
    assert set(MODELS) == set(Intent) == set(ROUTES) == set(VALID)
    assert all(issubclass(model, Args) for model in MODELS.values())


@pytest.mark.parametrize("intent", list(Intent))
def test_the_route_takes_the_intents_model_less_its_path_ids(
    server: Server, intent: Intent
) -> None:
    model, names = MODELS[intent], path_names(ROUTES[intent][1])
    body = body_model(intent)
    if body is None:  # nothing but the path: the model holds the path ids only
        assert sorted(model.model_fields) == sorted(names)
        return
    assert issubclass(model, body)  # the body's fields, declared once
    assert set(model.model_fields) == set(body.model_fields) | set(names)
    for name in body.model_fields:
        assert repr(model.model_fields[name]) == repr(body.model_fields[name]), name


@pytest.mark.parametrize("intent", list(Intent))
def test_a_request_and_a_push_make_the_same_arguments(server: Server, intent: Intent) -> None:
    model, names = MODELS[intent], path_names(ROUTES[intent][1])
    args = VALID[intent]
    body = body_model(intent)
    given = body.model_validate({k: v for k, v in args.items() if k not in names}) if body else None
    from_rest = model.from_request({name: args[name] for name in names}, given)
    assert from_rest == model.from_push(args)
    assert type(from_rest) is model


@pytest.mark.parametrize(
    ("intent", "field", "value"),
    BAD,
    ids=[f"{intent}-{field}-{n}" for n, (intent, field, _) in enumerate(BAD)],
)
def test_a_bad_input_is_refused_alike_through_rest_and_push(
    server: Server, device: Device, intent: Intent, field: str, value: Any
) -> None:
    args = {k: v for k, v in VALID[intent].items() if k != field}
    if value is not LEAVE_OUT:
        args[field] = value
    method, url, body = rest_call(intent, args)
    rest = server.request(method, url, device.user["token"], json=body)
    (pushed,) = device.push_ok(device.op(intent, **args))
    assert rest.status_code == 422, rest.text
    assert (pushed["status"], pushed["code"]) == ("rejected", "invalid_input")
    assert rest.json()["code"] == "invalid_input"
    assert pushed["reason"].split(":")[0].split(".")[0] == field
    assert rest.json()["detail"] == pushed["reason"]


@pytest.mark.parametrize(("intent", "name"), PATH_IDS, ids=[f"{i}-{n}" for i, n in PATH_IDS])
def test_a_path_id_is_an_argument_of_the_model(
    server: Server, device: Device, intent: Intent, name: str
) -> None:
    """A pushed intent names its target in its arguments: left out or no UUID, refused. In a
    URL the same id names nothing (404), as for any id the server does not hold."""
    without = {k: v for k, v in VALID[intent].items() if k != name}
    (missing,) = device.push_ok(device.op(intent, **without))
    assert (missing["code"], missing["reason"]) == ("invalid_input", f"{name}: required")
    bad = {**VALID[intent], name: "not-a-uuid"}
    (pushed,) = device.push_ok(device.op(intent, **bad))
    assert pushed["code"] == "invalid_input"
    assert pushed["reason"] == f"{name}: an id (a UUID) is needed"
    method, url, body = rest_call(intent, bad)
    rest = server.request(method, url, device.user["token"], json=body)
    assert rest.status_code == 404, rest.text
    assert rest.json()["code"] == "not_found"
