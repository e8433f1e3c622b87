"""Real-name verification (实名认证, security.md): submitted with an ID number that passes its
checksum, stored sealed and shown masked, reviewed by a reviewer or an admin; the account's
status follows, and with it the limit on the size of an award to an unverified freelancer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.identity import check_id_number
from jiedan_cli.server.db.tables import audit_log, verifications
from tests.server.conftest import Server
from tests.server.escrow_flow import ok, staff
from tests.server.market import place_bid, post_order
from tests.server.scenario import VERIFICATION

ID_NUMBER = VERIFICATION["id_number"]
CERTIFICATE = {"name": "设计师证书.pdf", "size": 20_480, "sha256": "cd" * 32}


def submit(server: Server, user: dict[str, Any], **body: Any) -> Any:
    payload = {**VERIFICATION, "certificates": [CERTIFICATE], **body}
    return server.request("POST", "/v1/me/verification", user["token"], json=payload)


def mine(server: Server, user: dict[str, Any]) -> dict[str, Any]:
    return ok(server.request("GET", "/v1/me/verification", user["token"]))


def review(server: Server, reviewer: dict[str, Any], user_id: str, verdict: str) -> Any:
    path = f"/v1/staff/verifications/{user_id}/{verdict}"
    return server.request("POST", path, reviewer["token"])


def account(server: Server, user: dict[str, Any]) -> dict[str, Any]:
    return ok(server.request("GET", "/v1/me", user["token"]))


@pytest.mark.parametrize(
    "number",
    ["11010519491231002", "110105194912310021", "11010519491331002X", "1101051949123100ZX"],
)
def test_an_id_number_must_have_the_shape_a_real_day_and_its_check_character(
    number: str,
) -> None:
    with pytest.raises(InvalidInput):
        check_id_number(number)
    assert check_id_number(" 11010519491231002x ") == ID_NUMBER


def test_a_verification_is_submitted_sealed_shown_masked_and_approved(server: Server) -> None:
    freelancer = server.register("freelancer")
    assert mine(server, freelancer) == {"status": "none"}
    submitted = ok(submit(server, freelancer), 201)
    assert submitted["status"] == "pending" and submitted["id_number_masked"] == "*" * 14 + "002X"
    assert submitted["certificates"] == [CERTIFICATE]
    assert account(server, freelancer)["verification"] == "pending"
    again = submit(server, freelancer)
    assert again.status_code == 409 and again.json()["code"] == "verification_open"
    with server.db.read() as conn:
        stored = conn.execute(select(verifications)).one()
    assert ID_NUMBER not in str(tuple(stored))  # sealed: only the last four in the clear

    reviewer = staff(server, "reviewer")
    waiting = ok_list(server.request("GET", "/v1/staff/verifications", reviewer["token"]))
    assert [v["user_id"] for v in waiting] == [freelancer["id"]]
    assert ID_NUMBER not in str(waiting)
    approved = ok(review(server, reviewer, freelancer["id"], "approve"))
    assert approved["status"] == "approved" and approved["reviewed_at"]
    assert account(server, freelancer)["verification"] == "approved"
    assert review(server, reviewer, freelancer["id"], "reject").status_code == 404  # done
    with server.db.read() as conn:
        actions = set(conn.execute(select(audit_log.c.action)).scalars())
    assert {"verification.submitted", "verification.approved"} <= actions


def test_a_rejected_verification_may_be_submitted_again(server: Server) -> None:
    freelancer = server.register("freelancer")
    ok(submit(server, freelancer), 201)
    ok(review(server, staff(server, "admin"), freelancer["id"], "reject"))
    assert account(server, freelancer)["verification"] == "rejected"
    assert ok(submit(server, freelancer), 201)["status"] == "pending"


def test_only_freelancers_submit_and_only_reviewers_and_admins_review(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    assert submit(server, client).status_code == 403
    assert submit(server, freelancer, id_number="110105194912310021").status_code == 422
    ok(submit(server, freelancer), 201)
    for who in (client, freelancer, staff(server, "support"), staff(server, "finance")):
        assert review(server, who, freelancer["id"], "approve").status_code == 403
    assert account(server, freelancer)["verification"] == "pending"


def test_an_award_above_the_cap_needs_a_verified_freelancer(calm_server: Server) -> None:
    server = calm_server  # a new account's large amount: the risk engine would hold it
    cap = server.settings.unverified_max_award_fen
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, budget_min_fen=cap, budget_max_fen=cap * 2)
    bid = place_bid(server, freelancer, order["id"], amount_fen=cap + 100)
    path = f"/v1/orders/{order['id']}/award"
    refused = server.request("POST", path, client["token"], json={"bid_id": bid["id"]})
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "freelancer_unverified"

    ok(submit(server, freelancer), 201)
    ok(review(server, staff(server, "reviewer"), freelancer["id"], "approve"))
    awarded = ok(server.request("POST", path, client["token"], json={"bid_id": bid["id"]}))
    assert awarded["status"] == "awarded"


def test_an_award_at_the_cap_needs_no_verification(calm_server: Server) -> None:
    server = calm_server  # a new account's large amount: the risk engine would hold it
    cap = server.settings.unverified_max_award_fen
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, budget_min_fen=cap, budget_max_fen=cap * 2)
    bid = place_bid(server, freelancer, order["id"], amount_fen=cap)
    path = f"/v1/orders/{order['id']}/award"
    assert ok(server.request("POST", path, client["token"], json={"bid_id": bid["id"]}))


def ok_list(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json())
