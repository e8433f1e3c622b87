"""Fee plans (收费方案, #13), on SQLite and PostgreSQL: the plan a freelancer chooses is what
a release charges; a paid plan bills its first month at choosing and each period after by the
plan_fees job, from the available earnings to platform:fees, never overdrawing (refused at
choosing, lapsed to commission at renewal); a retried choice or job bills once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jiedan_cli.domain.fees import FEE_PLANS, PLAN_PERIOD
from jiedan_cli.domain.ledger import PLATFORM_FEES, freelancer_available
from jiedan_cli.server.services import fee_plans
from tests.server.conftest import Server
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

JOB = "jiedan_cli.server.jobs.plan_fees"
EARNED = 450_000  # a first order of ¥4,500: ¥2,000 of it fee-free, ¥250 fee on the rest


def plan(server: Server, user: dict[str, Any]) -> dict[str, Any]:
    return ok(server.request("GET", "/v1/fees/plan", user["token"]))


def choose(server: Server, user: dict[str, Any], name: str) -> Any:
    return server.request("POST", "/v1/fees/plan", user["token"], json={"plan": name})


def available(server: Server, user: dict[str, Any]) -> int:
    return balances(server).get(freelancer_available(user["id"]), 0)


def run_jobs(server: Server) -> dict[str, int]:
    return dict(server.app.state.jobs.run_once())


def test_the_default_is_commission_and_every_plan_is_offered(calm_server: Server) -> None:
    server = calm_server
    _c, freelancer, _o = completed(server, amount_fen=EARNED)
    mine = plan(server, freelancer)
    assert (mine["plan"], mine["in_force"], mine["paid_until"]) == (
        "commission",
        "commission",
        None,
    )
    assert [o["plan"] for o in mine["offers"]] == [p.name for p in FEE_PLANS]
    promoted = next(o for o in mine["offers"] if o["plan"] == "promoted")
    assert promoted["package_fen"] == 49_900 and promoted["monthly_charge_fen"] == 49_900


def test_membership_bills_its_month_once_and_its_rate_applies_at_release(
    calm_server: Server,
) -> None:
    server = calm_server
    _c, freelancer, _o = completed(server, amount_fen=EARNED)
    before, fees_before = available(server, freelancer), balances(server)[PLATFORM_FEES]
    first = ok(choose(server, freelancer, "membership"))
    again = ok(choose(server, freelancer, "membership"))  # a retry: billed once
    assert first["plan"] == again["plan"] == "membership"
    assert first["paid_until"] == again["paid_until"] is not None
    assert available(server, freelancer) == before - 29_900
    assert balances(server)[PLATFORM_FEES] == fees_before + 29_900
    bills = transfers(server, kind="plan_fee")
    assert [(t.id, t.amount_fen, t.destination) for t in bills] == [
        (f"plan-fee:{freelancer['id']}:1", 29_900, PLATFORM_FEES)
    ]
    client, _f, order = delivered(server, amount_fen=400_000, freelancer=freelancer)
    ok(act(server, client, order["id"], "accept"))
    assert transfers(server, kind="fee", order_id=order["id"]) == []  # membership: 0%
    assert_ledger_sound(server.db)


def test_hybrid_charges_its_rate_and_commission_again_charges_ten_percent(
    calm_server: Server,
) -> None:
    server = calm_server
    _c, freelancer, _o = completed(server, amount_fen=EARNED)
    ok(choose(server, freelancer, "hybrid"))
    client, _f, order = delivered(server, amount_fen=100_000, freelancer=freelancer)
    ok(act(server, client, order["id"], "accept"))
    assert [t.amount_fen for t in transfers(server, kind="fee", order_id=order["id"])] == [5_000]
    back = ok(choose(server, freelancer, "commission"))
    assert (back["plan"], back["paid_until"]) == ("commission", None)
    client, _f, order = delivered(server, amount_fen=100_000, freelancer=freelancer)
    ok(act(server, client, order["id"], "accept"))
    assert [t.amount_fen for t in transfers(server, kind="fee", order_id=order["id"])] == [10_000]


def test_a_plan_the_earnings_cannot_pay_is_refused_and_changes_nothing(calm_server: Server) -> None:
    server = calm_server
    _c, freelancer, _o = completed(server, amount_fen=30_000)  # ¥300 earned, fee-free
    refused = choose(server, freelancer, "promoted")  # ¥499 a month
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_funds"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert plan(server, freelancer)["plan"] == "commission"
    assert available(server, freelancer) == 30_000 and transfers(server, kind="plan_fee") == []
    unknown = choose(server, freelancer, "platinum")
    assert unknown.status_code == 422 and "plan: one of" in unknown.json()["detail"]


def test_the_job_renews_at_the_period_end_once_and_lapses_what_it_cannot_bill(
    calm_server: Server,
) -> None:
    server = calm_server
    _c, freelancer, _o = completed(server, amount_fen=EARNED)
    _c, poorer, _o = completed(server, amount_fen=40_000)  # ¥400 earned, fee-free
    ok(choose(server, freelancer, "membership"))
    ok(choose(server, poorer, "membership"))  # ¥299: ¥101 left, short of the next month
    server.clock.advance(seconds=PLAN_PERIOD.total_seconds() - 1)
    assert run_jobs(server)[JOB] == 0  # a second early: nothing due
    server.clock.advance(seconds=1)
    assert run_jobs(server)[JOB] == 2  # one renewed, the other lapsed
    assert run_jobs(server)[JOB] == 0  # the same period again: nothing twice
    assert [t.id for t in transfers(server, kind="plan_fee")] == [
        f"plan-fee:{freelancer['id']}:1",
        f"plan-fee:{poorer['id']}:1",
        f"plan-fee:{freelancer['id']}:2",
    ]
    with server.db.read() as conn:
        lapsed = fee_plans.plan_view(conn, actor_of(poorer), now=server.clock.now)
        renewed = fee_plans.plan_view(conn, actor_of(freelancer), now=server.clock.now)
    assert (lapsed["plan"], lapsed["lapsed_from"], lapsed["paid_until"]) == (
        "commission", "membership", None,
    )  # fmt: skip
    assert renewed["plan"] == renewed["in_force"] == "membership"
    assert available(server, poorer) == 10_100  # never overdrawn
    assert_ledger_sound(server.db)


def test_an_overdue_plan_charges_commission_until_it_is_renewed(calm_server: Server) -> None:
    server = calm_server
    _c, freelancer, _o = completed(server, amount_fen=EARNED)
    ok(choose(server, freelancer, "membership"))
    end = server.clock.now + PLAN_PERIOD
    with server.db.read() as conn:
        last_second = fee_plans.plan_in_force(conn, freelancer["id"], end - timedelta(seconds=1))
        due = fee_plans.plan_in_force(conn, freelancer["id"], end)  # the job not run yet
    assert (last_second.name, due.name) == ("membership", "commission")
    assert due.policy().fee_for(100_000) == 10_000
