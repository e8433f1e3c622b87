"""Referrals (推荐好友, #13): a code per account; a registration naming one records the
referral (an unknown code is refused and makes no account); the reward goes to both, once,
when the referee completes a first order — under retries and concurrent completions — and a
referral ring (the two accounts used on one install) earns nothing, recorded why."""

from __future__ import annotations

from itertools import count
from typing import Any

from sqlalchemy import select

from jiedan_cli.domain.referrals import ORDER_WITH_REFERRER, SHARED_INSTALL
from jiedan_cli.server.db.tables import points_entries
from jiedan_cli.server.services import escrow
from tests.server.conftest import Server
from tests.server.escrow_flow import act, actor_of, completed, delivered, ok
from tests.server.test_money_races import race

REWARD = 100  # the default JIEDAN_SERVER_REFERRAL_POINTS
_emails = count(1)


def referral(server: Server, user: dict[str, Any]) -> dict[str, Any]:
    return ok(server.request("GET", "/v1/me/referral", user["token"]))


def register(
    server: Server, code: str | None, role: str = "both", install: str | None = None
) -> Any:
    body = {
        "email": f"invited{next(_emails)}@example.com",
        "name": "新朋友",
        "password": "correct horse 42",
        "role": role,
        **({"referral": code} if code is not None else {}),
    }
    headers = {"X-Jiedan-Install": install} if install else {}
    return server.client.post("/v1/auth/register", json=body, headers=headers)


def invited(server: Server, code: str, role: str = "both", install: str | None = None) -> Any:
    response = register(server, code, role, install)
    assert response.status_code == 201, response.text
    body = response.json()
    return {**body["user"], "token": body["token"]}


def referral_points(server: Server, user_id: str) -> list[int]:
    with server.db.read() as conn:
        return list(
            conn.execute(
                select(points_entries.c.amount).where(
                    points_entries.c.user_id == user_id, points_entries.c.kind == "referral"
                )
            ).scalars()
        )


def test_each_account_has_one_code_and_shows_the_reward(server: Server) -> None:
    user = server.register()
    first = referral(server, user)
    assert len(first["code"]) == 8 and first["reward_points"] == REWARD
    assert (first["invited"], first["referred_by"]) == ([], None)
    assert referral(server, user)["code"] == first["code"]
    assert referral(server, server.register())["code"] != first["code"]


def test_both_are_rewarded_once_when_the_referee_completes_a_first_order(server: Server) -> None:
    referrer = server.register()
    code = referral(server, referrer)["code"]
    referee = invited(server, code.lower()[:4] + "-" + code.lower()[4:], role="freelancer")
    assert referral(server, referee)["referred_by"]["status"] == "pending"

    _client, _freelancer, order = completed(server, freelancer=referee)
    completed(server, freelancer=referee)  # a second order pays nothing more
    assert referral_points(server, referrer["id"]) == [REWARD]
    assert referral_points(server, referee["id"]) == [REWARD]
    mine = referral(server, referrer)["invited"]
    assert [(r["referee_id"], r["status"], r["order_id"]) for r in mine] == [
        (referee["id"], "rewarded", order["id"])
    ]
    # a retried accept of the completed order is refused and pays nothing either
    assert act(server, _client, order["id"], "accept").status_code == 409
    assert referral_points(server, referee["id"]) == [REWARD]


def test_concurrent_first_completions_reward_once(server: Server) -> None:
    referrer = server.register()
    referee = invited(server, referral(server, referrer)["code"], role="freelancer")
    orders = [delivered(server, freelancer=referee) for _ in range(4)]
    now = server.clock.now

    def accept(client: dict[str, Any], order_id: str) -> Any:
        def job() -> Any:
            with server.db.write() as conn:
                return escrow.accept_order(conn, actor_of(client), order_id=order_id, now=now)

        return job

    outcomes = race([accept(client, order["id"]) for client, _f, order in orders])
    assert outcomes.get("temporary_failure", 0) + outcomes["ok"] == 4, outcomes
    assert referral_points(server, referrer["id"]) == [REWARD]
    assert referral_points(server, referee["id"]) == [REWARD]


def test_a_referral_ring_on_one_install_earns_nothing_and_says_why(server: Server) -> None:
    install = "ring-install-0001"
    headers = {"X-Jiedan-Install": install}
    response = server.client.post(
        "/v1/auth/register",
        json={
            "email": f"ringleader{next(_emails)}@example.com",
            "name": "刷单",
            "password": "correct horse 42",
        },
        headers=headers,
    )
    referrer = {**response.json()["user"], "token": response.json()["token"]}
    code = referral(server, referrer)["code"]
    referee = invited(server, code, role="freelancer", install=install)
    completed(server, freelancer=referee)
    assert referral_points(server, referrer["id"]) == []
    assert referral_points(server, referee["id"]) == []
    settled = referral(server, referee)["referred_by"]
    assert (settled["status"], settled["reason"]) == ("withheld", SHARED_INSTALL)


def test_a_first_order_with_the_referrer_earns_nothing(server: Server) -> None:
    referrer = server.register("client")
    referee = invited(server, referral(server, referrer)["code"], role="freelancer")
    completed(server, client=referrer, freelancer=referee)
    assert referral_points(server, referee["id"]) == []
    settled = referral(server, referrer)["invited"][0]
    assert (settled["status"], settled["reason"]) == ("withheld", ORDER_WITH_REFERRER)


def test_an_unknown_code_is_refused_and_makes_no_account(server: Server) -> None:
    response = register(server, "ZZZZ2345")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unknown_referral_code"
    assert "ZZZZ2345" in response.json()["detail"]
    malformed = register(server, "no!")
    assert malformed.status_code == 422, malformed.text


def test_a_refused_code_leaves_the_email_free(server: Server) -> None:
    body = {"email": "twice@example.com", "name": "再来", "password": "correct horse 42"}
    refused = server.client.post("/v1/auth/register", json={**body, "referral": "ZZZZ2345"})
    assert refused.status_code == 409
    assert server.client.post("/v1/auth/register", json=body).status_code == 201
