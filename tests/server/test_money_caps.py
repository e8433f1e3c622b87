"""Money caps that held on one path only (issue 9, item 7). The attack: an unverified
freelancer's ¥5,000 cap was checked on the award alone, so the client added a ¥90,000,000
milestone, and the freelancer withdrew it fee-free (the first-order waiver had no cap). Now
the cap holds on the order's total, the waiver covers the fee on the first ¥2,000 of the
first order, and a new or unverified account withdraws at most ¥5,000 in 24 hours."""

from __future__ import annotations

from typing import Any

from jiedan_cli.domain.fees import FIRST_ORDER_WAIVER_FEN
from tests.server.conftest import Server
from tests.server.escrow_flow import act, awarded, balances, deliver, ok, staff
from tests.server.test_auth import login
from tests.server.test_earnings import withdraw
from tests.server.test_verification import review, submit

HUGE_FEN = 9_000_000_000  # ¥90,000,000


def add_milestone(server: Server, client: dict[str, Any], order_id: str, amount_fen: int) -> Any:
    body = {"title": "追加", "amount_fen": amount_fen}
    return server.request("POST", f"/v1/orders/{order_id}/milestones", client["token"], json=body)


def verified_freelancer(server: Server) -> dict[str, Any]:
    freelancer = server.register("freelancer")
    ok(submit(server, freelancer), 201)
    ok(review(server, staff(server, "reviewer"), freelancer["id"], "approve"))
    return freelancer


# ---- the cap on an unverified freelancer's order ------------------------------------------


def test_a_milestone_added_past_the_cap_is_refused(server: Server) -> None:
    cap = server.settings.unverified_max_award_fen
    client, freelancer, order = awarded(server, amount_fen=80_000)
    refused = add_milestone(server, client, order["id"], HUGE_FEN)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "freelancer_unverified"
    ok(add_milestone(server, client, order["id"], cap - 80_000), 201)  # up to the cap: fine
    assert add_milestone(server, client, order["id"], 1).status_code == 409
    assert balances(server).get(f"freelancer:{freelancer['id']}:available", 0) == 0

    ok(submit(server, freelancer), 201)
    ok(review(server, staff(server, "reviewer"), freelancer["id"], "approve"))
    ok(add_milestone(server, client, order["id"], HUGE_FEN), 201)  # verified: no cap


# ---- the first-order fee waiver -------------------------------------------------------------


def test_the_first_order_waiver_covers_the_fee_on_its_first_2000_yuan(calm_server: Server) -> None:
    server = calm_server  # a new account's large amount: the risk engine would hold it
    freelancer = verified_freelancer(server)
    client, _f, order = awarded(server, amount_fen=150_000, freelancer=freelancer)
    ok(add_milestone(server, client, order["id"], 1_000_000), 201)
    for _ in range(2):
        ok(act(server, client, order["id"], "fund"))
    deliver(server, freelancer, order["id"])
    ok(act(server, client, order["id"], "accept"))  # ¥1,500: within the waiver
    assert balances(server).get("platform:fees", 0) == 0
    deliver(server, freelancer, order["id"])
    assert ok(act(server, client, order["id"], "accept"))["status"] == "completed"
    # ¥10,000 more: ¥500 of it still waived, 10% on the other ¥9,500
    charged = 150_000 + 1_000_000 - FIRST_ORDER_WAIVER_FEN
    money = balances(server)  # a tenth of the fee on to the protection fund
    assert money["platform:fees"] + money["platform:protection"] == charged // 10 == 95_000
    assert money["platform:protection"] == 9_500
    paid = balances(server)[f"freelancer:{freelancer['id']}:available"]
    assert paid == 1_150_000 - 95_000


# ---- withdrawals by a new or unverified account ---------------------------------------------


def test_a_new_account_withdraws_at_most_5000_yuan_a_day(calm_server: Server) -> None:
    server = calm_server  # a new account's large amount: the risk engine would hold it
    freelancer = verified_freelancer(server)
    client, _f, order = awarded(server, amount_fen=2_000_000, freelancer=freelancer)
    ok(act(server, client, order["id"], "fund"))
    deliver(server, freelancer, order["id"])
    ok(act(server, client, order["id"], "accept"))
    limit = server.settings.new_account_max_withdrawal_fen
    held = withdraw(server, freelancer, limit + 1)
    assert held.status_code == 409, held.text
    problem = held.json()
    assert problem["code"] == "withdrawal_held"
    assert "manual review" in problem["detail"] and "not open yet" in problem["detail"]
    ok(withdraw(server, freelancer, limit - 100), 201)
    assert withdraw(server, freelancer, 101).json()["code"] == "withdrawal_held"
    ok(withdraw(server, freelancer, 100), 201)

    server.clock.advance(days=1, seconds=1)  # a new day's allowance
    ok(withdraw(server, freelancer, limit), 201)
    assert withdraw(server, freelancer, 1).status_code == 409
    server.clock.advance(days=server.settings.new_account_days)  # old and verified: no limit
    signed_in = {**freelancer, "token": login(server, freelancer["email"]).json()["token"]}
    ok(withdraw(server, signed_in, 2_000_000 - 180_000 - 2 * limit), 201)
