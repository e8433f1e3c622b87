"""Bad input never makes the server fail (security.md, Bad input): schemathesis generates
requests from /openapi.json — valid ones and ones that break the schema — for every
operation, sent with a valid bearer token (so they reach the handlers) of a client, a
freelancer, an unrelated user or staff, or none, and with path ids that are real objects
as often as made-up ones. No answer may be a 5xx, and each must be one /openapi.json
declares (status, content type, schema — errors are problem+json).

Bounded (two dozen examples per operation) so it runs in the normal suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jiedan_cli.server.api import ROUTERS
from tests.server.conftest import make_server
from tests.server.scenario import World, build_world

pytestmark = [pytest.mark.schemathesis, pytest.mark.xdist_group("schemathesis")]
JSON = {"content-type": "application/json"}

# Per generation mode and operation; JIEDAN_FUZZ_EXAMPLES=200 for a deeper run by hand.
EXAMPLES = int(os.environ.get("JIEDAN_FUZZ_EXAMPLES", "12"))
# No 5xx; and every answer is one the document declares, in its declared type and shape
# (errors as problem+json), so the document is a contract the CLI can be written against.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations that may close the caller's account: fuzzed with fresh accounts, since a closed
# shared one would make every later test's requests fail (the suite's one flaky test was this).
# So do those that end the caller's other sessions: the shared accounts' tokens among them.
CLOSES_THE_ACCOUNT = {
    ("/v1/me/delete", "POST"),
    ("/v1/auth/sessions/revoke-others", "POST"),
    ("/v1/auth/password", "POST"),
}
OPERATIONS = sorted(
    (route.path, method)
    for router in ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
)


@dataclass
class Fuzz:
    world: World
    schema: Any
    ids: list[str]  # real object ids, for path parameters


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    path: Path = tmp_path_factory.mktemp("schemathesis") / "server.db"
    server = make_server(f"sqlite:///{path}", unverified_bids_per_day=1_000_000)
    with server.client:
        world = build_world(server)
        schema = schemathesis.openapi.from_asgi("/openapi.json", server.app)
        orders = [world.open_order, world.working, world.delivered, world.disputed]
        ids = [
            *(order["id"] for order in [*orders, world.completed]),
            world.open_bid["id"],
            world.portfolio_item["id"],
            world.client["id"],
            world.freelancer["id"],
        ]
        yield Fuzz(world, schema, ids)


def strategies(fuzz: Fuzz, operation: Any) -> st.SearchStrategy[Any]:
    """Valid and invalid requests; with path parameters, also ones naming real objects."""
    modes = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    names = [p.name for p in operation.path_parameters]
    if names:
        real = st.sampled_from(fuzz.ids).flatmap(
            lambda found: operation.as_strategy(
                generation_mode=GenerationMode.POSITIVE,
                path_parameters=dict.fromkeys(names, found),
            )
        )
        modes.append(real)
    return st.one_of(modes)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_any_request_gets_a_declared_answer_never_a_5xx(fuzz: Fuzz, path: str, method: str) -> None:
    world = fuzz.world
    operation = fuzz.schema[path][method]
    # Anonymous last: Hypothesis leans towards the first choices, and most cases should
    # get past authentication to the handlers.
    callers = [world.client, world.freelancer, world.other, world.staff["admin"], None]

    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategies(fuzz, operation), caller=st.sampled_from(callers))
    def run(case: Any, caller: dict[str, Any] | None) -> None:
        if caller is not None and (path, method) in CLOSES_THE_ACCOUNT:
            # An account the case may close: never one the other tests reuse.
            is_admin = caller is world.staff["admin"]
            caller = world.new_staff("admin") if is_admin else world.new_user()
        elif caller is not None:
            # A session of its own (the case may be a sign-out), in place of any generated
            # Authorization header; anonymous cases keep theirs, so bad tokens are fuzzed too.
            token = world.new_session(caller)["token"]
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        case.validate_response(case.call(), checks=CHECKS)

    run()


# ---- inputs that once made the server fail (found by probing around the fuzzer) ------------

ONCE_FAILED = [
    ("GET", "/v1/staff/audit", {"params": {"cursor": "²"}}),  # "²".isdigit() is true
    ("GET", "/v1/staff/audit", {"params": {"cursor": "9" * 20}}),  # past a BIGINT
    ("GET", "/v1/staff/audit", {"params": {"since": "9999-12-31T23:59:59-23:59"}}),
    ("GET", "/v1/staff/audit", {"params": {"since": "0001-01-01T00:00:00+14:00"}}),
    ("PATCH", "/v1/me/profile", {"content": b"\xff\xfe", "headers": JSON}),  # not UTF-8
    ("POST", "/v1/me/portfolio", {"json": {"title": "t", "id": "\x00"}}),  # ids are UUIDs
]


@pytest.mark.parametrize(("method", "path", "request_args"), ONCE_FAILED)
def test_inputs_that_once_failed_are_invalid_input(
    fuzz: Fuzz, method: str, path: str, request_args: dict[str, Any]
) -> None:
    admin = fuzz.world.staff["admin"]
    response = fuzz.world.server.request(method, path, admin["token"], **request_args)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_input"
