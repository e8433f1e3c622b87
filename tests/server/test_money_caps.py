"""Money caps that held on one path only (issue 9, item 7). The attack: an unverified
freelancer's ¥5,000 cap was checked on the award alone, so the client added a ¥90,000,000
milestone, and the freelancer withdrew it fee-free (the first-order waiver had no cap). Now
the cap holds on the order's total, the waiver covers the fee on the first ¥2,000 of the
first order, and a new or unverified account withdraws at most ¥5,000 in 24 hours without
manual review: more is held for a reviewer (#12), who releases it (paid once, if the balance
still covers it) or blocks it (nothing moves)."""

from __future__ import annotations

from typing import Any

from jiedan_cli.domain.account_limits import CAP_RULE
from jiedan_cli.domain.fees import FIRST_ORDER_WAIVER_FEN
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import (
    act,
    assert_ledger_sound,
    awarded,
    balances,
    deliver,
    ok,
    staff,
    summary,
    transfers,
)
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


def earned_by_a_new_account(server: Server) -> dict[str, Any]:
    """A verified freelancer of a day, ¥20,000 earned (¥18,200 available after the fee)."""
    freelancer = verified_freelancer(server)
    client, _f, order = awarded(server, amount_fen=2_000_000, freelancer=freelancer)
    ok(act(server, client, order["id"], "fund"))
    deliver(server, freelancer, order["id"])
    ok(act(server, client, order["id"], "accept"))
    return freelancer


def held(answer: Any) -> dict[str, Any]:
    """The 202 of a withdrawal past the cap: a hold whose reason names the cap."""
    assert answer.status_code == 202, answer.text
    hold = answer.json()
    assert (hold["status"], hold["action"]) == ("held", "withdraw")
    assert "¥5000.00 in 24 hours" in hold["reason"] and "manual review" in hold["reason"]
    assert "not open yet" not in hold["reason"]
    return hold


def decide(server: Server, hold_id: str, verdict: str, **body: Any) -> Any:
    reviewer = staff(server, "reviewer")
    path = f"/v1/staff/holds/{hold_id}/{verdict}"
    return server.request("POST", path, reviewer["token"], json=body or None)


def available(server: Server, user: dict[str, Any]) -> int:
    return int(summary(server, user)["available_fen"])


def test_a_new_account_withdraws_at_most_5000_yuan_a_day_unreviewed(calm_server: Server) -> None:
    server = calm_server  # a new account's large amount: the risk engine would hold it
    freelancer = earned_by_a_new_account(server)
    start, limit = available(server, freelancer), server.settings.new_account_max_withdrawal_fen
    first = held(withdraw(server, freelancer, limit + 1))
    assert available(server, freelancer) == start  # nothing moves while it waits
    queue = server.request("GET", "/v1/staff/holds", staff(server, "reviewer")["token"])
    (queued,) = queue.json()
    assert queued["id"] == first["id"] and [f["name"] for f in queued["fired"]] == [CAP_RULE]
    assert queued["facts"]["cap_fen"] == limit and queued["facts"]["amount_fen"] == limit + 1
    ok(withdraw(server, freelancer, limit - 100), 201)
    second = held(withdraw(server, freelancer, 101))
    ok(withdraw(server, freelancer, 100), 201)
    assert available(server, freelancer) == start - limit

    # released: paid once, past the cap (a reviewer looked), the ledger sound
    moved = len(transfers(server))
    released = ok(decide(server, first["id"], "release"))
    assert released["status"] == "released" and released["outcome"]["status"] == "paid"
    assert available(server, freelancer) == start - 2 * limit - 1
    again = decide(server, first["id"], "release")
    assert again.status_code == 409 and again.json()["code"] == "hold_decided"
    assert len(transfers(server)) == moved + 1
    # blocked: nothing moves, ever
    blocked = ok(decide(server, second["id"], "block", reason="提现过于频繁"))
    assert (blocked["status"], blocked["decision_reason"]) == ("blocked", "提现过于频繁")
    assert available(server, freelancer) == start - 2 * limit - 1
    assert len(transfers(server)) == moved + 1
    assert_ledger_sound(server.db)

    server.clock.advance(days=1, seconds=1)  # a new day's allowance
    ok(withdraw(server, freelancer, limit), 201)
    late = held(withdraw(server, freelancer, 1))
    server.clock.advance(days=server.settings.new_account_days)  # old and verified: no limit
    signed_in = {**freelancer, "token": login(server, freelancer["email"]).json()["token"]}
    rest = start - 3 * limit - 1
    ok(withdraw(server, signed_in, rest), 201)
    # the balance no longer covers the fen held a month ago: its release fails, said plainly
    failed = ok(decide(server, late["id"], "release"))
    assert failed["status"] == "failed" and failed["outcome"]["code"] == "insufficient_funds"
    assert "at most ¥0.00" in failed["decision_reason"]
    assert available(server, signed_in) == 0
    assert_ledger_sound(server.db)


def test_the_cap_holds_with_the_risk_engine_off(database_url: str) -> None:
    server = make_server(database_url, risk_record=False)  # the cap is no risk rule
    with server.client:
        freelancer = earned_by_a_new_account(server)
        start, limit = available(server, freelancer), server.settings.new_account_max_withdrawal_fen
        hold = held(withdraw(server, freelancer, limit + 1))
        assert available(server, freelancer) == start
        assert ok(decide(server, hold["id"], "release"))["status"] == "released"
        assert available(server, freelancer) == start - limit - 1
        assert_ledger_sound(server.db)


def test_a_retried_held_withdrawal_is_the_same_hold(calm_server: Server) -> None:
    """The client retries a withdrawal whose 202 it never read, with the same payout id: one
    hold, one queue entry; after the release, the payout; a blocked one stays blocked."""
    server = calm_server
    freelancer = earned_by_a_new_account(server)
    limit = server.settings.new_account_max_withdrawal_fen
    payout = "01a24e19-0000-7000-8000-000000000001"
    first = held(withdraw(server, freelancer, limit + 1, id=payout))
    again = held(withdraw(server, freelancer, limit + 1, id=payout))
    assert again["id"] == first["id"]
    queue = server.request("GET", "/v1/staff/holds", staff(server, "reviewer")["token"])
    assert [hold["id"] for hold in queue.json()] == [first["id"]]
    other = withdraw(server, freelancer, limit + 2, id=payout)  # the same id, another amount
    assert other.status_code == 422 and other.json()["field"] == "id", other.text

    start = available(server, freelancer)
    paid = ok(decide(server, first["id"], "release"))["outcome"]
    after = ok(withdraw(server, freelancer, limit + 1, id=payout), 201)
    assert after["id"] == paid["id"] == payout
    assert available(server, freelancer) == start - limit - 1

    refused = "01a24e19-0000-7000-8000-000000000002"
    second = held(withdraw(server, freelancer, limit, id=refused))  # the day's allowance is spent
    ok(decide(server, second["id"], "block", reason="提现过于频繁"))
    blocked = withdraw(server, freelancer, limit, id=refused)
    assert blocked.status_code == 409 and blocked.json()["hold_id"] == second["id"], blocked.text
    assert available(server, freelancer) == start - limit - 1
    assert_ledger_sound(server.db)
