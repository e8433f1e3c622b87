"""A registration the risk engine holds (#12): the account is made and works meanwhile, and
its owner sees it under review — in the registration's answer, a sign-in's and `GET /v1/me` —
until a reviewer releases it; one blocked closes the account, and a sign-in with the right
password says so with the reason (401 `account_closed`), a wrong one learns nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import staff

INSTALL = {"X-Jiedan-Install": "shared-install-0002"}
PASSWORD = "correct horse 42"


@pytest.fixture
def shared_device(database_url: str) -> Iterator[Server]:
    """A second account from one install is held for review (accounts_on_device at 2)."""
    srv = make_server(database_url, risk_record=True, risk_limits="accounts_on_device=2")
    with srv.client:
        yield srv


def register(server: Server, n: int) -> Any:
    body = {"email": f"review-{n}@example.com", "name": f"新人{n}", "password": PASSWORD}
    return server.client.post("/v1/auth/register", json=body, headers=INSTALL)


def login(server: Server, n: int, password: str = PASSWORD) -> Any:
    body = {"email": f"review-{n}@example.com", "password": password}
    return server.client.post("/v1/auth/login", json=body)


def me(server: Server, token: str) -> dict[str, Any]:
    answer = server.request("GET", "/v1/me", token)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def decide(server: Server, hold_id: str, verdict: str, **body: Any) -> Any:
    reviewer = staff(server, "reviewer")
    path = f"/v1/staff/holds/{hold_id}/{verdict}"
    return server.request("POST", path, reviewer["token"], json=body or None)


def test_a_held_account_is_under_review_until_released(shared_device: Server) -> None:
    server = shared_device
    first = register(server, 1).json()
    assert first["user"]["review"] is None and me(server, first["token"])["review"] is None
    answer = register(server, 2)
    assert answer.status_code == 201, answer.text  # made, signed in, working
    review = answer.json()["user"]["review"]
    assert review["status"] == "under review" and "device" in review["reason"]
    token = answer.json()["token"]
    assert me(server, token)["review"] == review
    signed_in = login(server, 2).json()
    assert signed_in["user"]["review"] == review  # a sign-in says so too

    assert decide(server, review["hold_id"], "release").json()["status"] == "released"
    assert me(server, token)["review"] is None
    assert login(server, 2).json()["user"]["review"] is None


def test_a_blocked_account_is_told_why_at_sign_in(shared_device: Server) -> None:
    server = shared_device
    register(server, 3)
    review = register(server, 4).json()["user"]["review"]
    blocked = decide(server, review["hold_id"], "block", reason="批量注册小号")
    assert blocked.status_code == 200, blocked.text

    closed = login(server, 4)
    assert closed.status_code == 401, closed.text
    problem = closed.json()
    assert problem["code"] == "account_closed"
    assert problem["detail"] == "this account was closed after review (人工审核): 批量注册小号"
    wrong = login(server, 4, password="not the password")  # learns nothing
    assert wrong.status_code == 401 and wrong.json()["code"] == "bad_credentials"
    assert "closed" not in wrong.json()["detail"]


def test_an_account_blocked_at_once_is_told_the_rules_reason(database_url: str) -> None:
    server = make_server(
        database_url,
        risk_record=True,
        risk_limits="accounts_on_device=2",
        risk_review_at=50,
        risk_block_at=50,
    )
    with server.client:
        register(server, 5)
        refused = register(server, 6)
        assert refused.status_code == 409 and refused.json()["code"] == "risk_blocked"
        closed = login(server, 6)
        assert closed.status_code == 401 and closed.json()["code"] == "account_closed"
        assert closed.json()["detail"].startswith("this account was closed after review")
        assert "device" in closed.json()["detail"]
