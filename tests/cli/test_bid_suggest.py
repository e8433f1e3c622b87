"""`jiedan bid suggest ORDER_ID` against the real server: the contract's fields, yuan on a
pipe; an order the server does not know is exit 3, no network exit 6."""

from __future__ import annotations

from tests.cli.conftest import User


def test_a_suggestion_for_an_order_with_no_history_is_the_budget(
    client: User, freelancer: User
) -> None:
    order = client.post_order(category="translation", budget_min_fen=80_000, budget_max_fen=100_000)
    hint = freelancer.ok("bid", "suggest", order["id"], "--json").json()
    assert {k: hint[k] for k in ("low_fen", "median_fen", "high_fen", "basis_count")} == {
        "low_fen": 80_000,
        "median_fen": 90_000,
        "high_fen": 100_000,
        "basis_count": 0,
    }
    assert "budget" in hint["explanation"]
    rows = freelancer.ok("bid", "suggest", order["id"]).stdout.splitlines()
    assert rows[:3] == ["low\t800.00", "median\t900.00", "high\t1000.00"]


def test_suggest_errors_keep_the_contracts_exit_codes(freelancer: User) -> None:
    unknown = freelancer.run("bid", "suggest", "00000000-0000-7000-8000-000000000000")
    assert unknown.code == 3 and unknown.stderr.startswith("error: ")
    offline = freelancer.unreachable("bid", "suggest", "00000000-0000-7000-8000-000000000000")
    assert offline.code == 6
