"""The exit codes of the client, review, dispute and earnings commands (cli.md): 2 for a bad
amount or flag, 3 for an unknown order, 4 for a refusal (with the reason on stderr), 6 when
an online-only command cannot reach the server — and always one `error: …` line, no
traceback, nothing on stdout but data."""

from __future__ import annotations

import pytest

from jiedan_cli.domain.ids import new_id
from tests.cli.conftest import Run, User, closed_port_url, jiedan
from tests.cli.test_client_flow import complete_order, post


def refused(done: Run, code: int) -> str:
    """The single error line of a failed command that printed no data."""
    assert done.code == code, str(done)
    assert done.stdout == "", str(done)
    lines = done.stderr.splitlines()
    assert lines and lines[-1].startswith("error: ") and "Traceback" not in done.stderr, str(done)
    return lines[-1]


@pytest.mark.parametrize("amount", ["12.345", "abc", "0", "-5", "1e3", ""])
def test_a_bad_budget_is_a_usage_error(client: User, amount: str) -> None:
    done = client.run(
        *("client", "post", "--title", "做一个网站", "--description", "企业官网"),
        *("--category", "development", "--budget-min", amount, "--budget-max", "900", "--json"),
    )
    assert done.code == 2, str(done)
    assert done.stdout == ""
    assert client.ok("orders", "list", "--mine", "--json").json() == []  # nothing was queued


def test_bad_flags_are_usage_errors(client: User) -> None:
    order = post(client)
    assert client.run("review", order["id"], "--stars", "6").code == 2
    assert client.run("earnings", "ledger", "--since", "last week").code == 2
    assert client.run("earnings", "export", "--format", "xml").code == 2
    assert client.run("earnings", "withdraw", "--amount", "10.001").code == 2
    assert client.run("client", "post", "--title", "x").code == 2  # missing options
    budget_upside_down = client.run(
        *("client", "post", "--title", "做一个网站", "--description", "企业官网"),
        *("--category", "development", "--budget-min", "900", "--budget-max", "100"),
    )
    # in the words of the flags and in yuan, not the API's field names in fen
    assert refused(budget_upside_down, 2) == (
        "error: budget: the minimum (¥900.00) is more than the maximum (¥100.00)"
    )


@pytest.mark.subprocess(reason="smoke: the real process")
def test_an_unknown_order_is_not_found(client: User) -> None:
    assert "no order" in refused(client.run("client", "bids", new_id()), 3)
    # not in the replica: queued, and the server answers that there is no such order
    assert "no order" in refused(client.run("client", "accept", new_id()), 3)
    assert "no order" in refused(client.run("review", new_id(), "--stars", "5"), 3)
    assert "no order" in refused(client.run("dispute", "open", new_id(), "--reason", "?"), 3)


def test_someone_elses_order_is_not_found_for_client_commands(
    client: User, make_user: object
) -> None:
    order = post(client)
    other = make_user("client")  # type: ignore[operator]
    other.ok("sync")
    assert "of yours" in refused(other.run("client", "bids", order["id"]), 3)
    assert "of yours" in refused(other.run("client", "cancel", order["id"]), 3)


def test_accept_before_delivery_is_refused_with_the_reason(client: User, freelancer: User) -> None:
    order = post(client)
    freelancer.ok("sync")
    bid = freelancer.ok("bid", "create", order["id"], "--amount", "800", "--days", "3", "--json")
    client.ok("sync")
    client.ok("client", "award", order["id"], bid.json()["id"])
    client.ok("client", "fund", order["id"])

    # in the server's words (domain/moves), offline as online
    line = refused(client.run("client", "accept", order["id"], "--json"), 4)
    assert "order is in_progress; this needs it delivered" in line
    # a review before completion is refused the same way
    said = refused(client.run("review", order["id"], "--stars", "5"), 4)
    assert "reviews open once it is completed" in said


def test_withdrawing_more_than_available_is_refused(client: User, freelancer: User) -> None:
    complete_order(client, freelancer, "300")
    available = freelancer.ok("earnings", "summary", "--json").json()["available_fen"]
    too_much = f"{(available + 1) / 100:.2f}"
    refused(freelancer.run("earnings", "withdraw", "--amount", too_much), 4)
    assert freelancer.ok("earnings", "summary", "--json").json()["available_fen"] == available

    payout = freelancer.ok("earnings", "withdraw", "--amount", "100", "--json").json()
    assert (payout["amount_fen"], payout["status"]) == (10_000, "paid")
    assert payout["available_fen"] == available - 10_000
    # the withdrawal synced into the replica at once
    after = freelancer.ok("earnings", "summary", "--json").json()
    assert after["available_fen"] == available - 10_000
    ledger = freelancer.ok("earnings", "ledger", "--json").json()
    assert [e["amount_fen"] for e in ledger if e["kind"] == "withdraw"] == [-10_000]


def test_withdraw_needs_the_server(freelancer: User) -> None:
    unreachable = jiedan(
        *("earnings", "withdraw", "--amount", "10"),
        home=freelancer.home,
        server=closed_port_url(),
        env={"JIEDAN_TOKEN": freelancer.token},
    )
    assert "cannot reach" in refused(unreachable, 6)


def test_withdraw_when_signed_out_exits_5(freelancer: User) -> None:
    freelancer.ok("auth", "logout")
    refused(freelancer.run("earnings", "withdraw", "--amount", "10"), 5)
