"""`jiedan fees plan [--json]` and `jiedan fees plan choose NAME` against the real server: the
plan and the offers, a paid plan billed from the earnings once (a repeat bills nothing), one
the earnings cannot pay refused (exit 4), an unknown plan a usage error (exit 2); and
`points balance` saying what expires next."""

from __future__ import annotations

from tests.cli.conftest import User
from tests.cli.test_redeem import earn_300_points


def test_choosing_a_plan_bills_it_once_and_shows_it(client: User, freelancer: User) -> None:
    shown = freelancer.ok("fees", "plan", "--json").json()
    assert shown["plan"] == "commission" and [o["plan"] for o in shown["offers"]] == [
        "commission", "membership", "hybrid", "promoted",
    ]  # fmt: skip
    earn_300_points(client, freelancer)  # and ¥3,000 earned (first order: no fee on ¥2,000)
    before = freelancer.ok("earnings", "summary", "--json").json()["available_fen"]
    chosen = freelancer.ok("fees", "plan", "choose", "hybrid", "--json").json()
    assert (chosen["plan"], chosen["monthly_charge_fen"]) == ("hybrid", 9_900)
    again = freelancer.ok("fees", "plan", "choose", "hybrid", "--json").json()
    assert again["paid_until"] == chosen["paid_until"]
    freelancer.ok("sync")
    assert freelancer.ok("earnings", "summary", "--json").json()["available_fen"] == before - 9_900
    table = freelancer.ok("fees", "plan")
    assert "hybrid" in table.stdout and "Your plan: hybrid, paid until" in table.stderr


def test_a_plan_the_earnings_cannot_pay_and_an_unknown_one(freelancer: User) -> None:
    refused = freelancer.run("fees", "plan", "choose", "membership")
    assert refused.code == 4 and refused.stderr.startswith("error:")
    assert "the membership plan costs 299.00 yuan a month" in refused.stderr
    unknown = freelancer.run("fees", "plan", "choose", "platinum")
    assert unknown.code == 2
    assert "plan: one of commission, membership, hybrid, promoted" in unknown.stderr


def test_points_balance_says_what_expires_next(client: User, freelancer: User) -> None:
    earn_300_points(client, freelancer)
    mine = freelancer.ok("points", "balance", "--json").json()
    assert mine["balance"] == 300 and mine["expiring"]["points"] == 300
    assert len(mine["expiring"]["on"]) == 10  # YYYY-MM-DD, the default 24 months on
    shown = freelancer.ok("points", "balance")
    assert f"300 points expire on {mine['expiring']['on']}" in shown.stderr
