"""The whole marketplace flow from the command line, as two people on one machine (two
JIEDAN_HOMEs) against the real server: a client posts, a freelancer bids offline and syncs,
the client awards, funds and accepts the delivery; then both see the money, points and each
other's reviews — every read from the local replica, checked against the server's answer."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.cli.conftest import User
from tests.cli.journal import parse_journal


def post(client: User, *extra: str, budget: tuple[str, str] = ("500", "1200")) -> dict[str, Any]:
    done = client.ok(
        *("client", "post", "--title", "品牌 logo 设计", "--description", "简约风格，含源文件。"),
        *("--category", "design", "--tag", "logo", "--tag", "品牌"),
        *("--budget-min", budget[0], "--budget-max", budget[1], "--json"),
        *extra,
    )
    order: dict[str, Any] = done.json()
    return order


def complete_order(client: User, freelancer: User, amount: str) -> dict[str, Any]:
    """post → offline bid, sync → award → fund → deliver → accept, all with `jiedan`."""
    order = post(client)
    assert (order["status"], order["sync_state"]) == ("open", "synced")
    assert order["tags"] == ["logo", "品牌"] and order["budget_min_fen"] == 50_000

    freelancer.ok("sync")
    bid = freelancer.ok(
        *("bid", "create", order["id"], "--amount", amount, "--days", "3"),
        *("--offline", "--json"),
    ).json()
    assert bid["sync_state"] == "pending"
    assert freelancer.ok("sync", "--json").json()["pushed"] == 1

    client.ok("sync")
    [seen] = client.ok("client", "bids", order["id"], "--json").json()
    assert (seen["id"], seen["freelancer_id"]) == (bid["id"], freelancer.id)

    awarded = client.ok("client", "award", order["id"], bid["id"], "--json").json()
    assert (awarded["status"], awarded["sync_state"]) == ("awarded", "synced")
    funded = client.ok("client", "fund", order["id"], "--json").json()
    assert funded["status"] == "in_progress"

    freelancer.ok("sync")
    freelancer.ok("deliver", order["id"], "--note", "初稿与源文件", "--json")
    client.ok("sync")
    accepted = client.ok("client", "accept", order["id"], "--json").json()
    assert (accepted["status"], accepted["sync_state"]) == ("completed", "synced")
    freelancer.ok("sync")
    return order


def test_the_whole_flow_ends_in_earnings_points_reviews_and_books(
    client: User, freelancer: User
) -> None:
    first = complete_order(client, freelancer, "800")
    summary = freelancer.ok("earnings", "summary", "--json").json()
    # the first order on the platform is fee-free (money.md: new-user incentives)
    assert summary == {
        "available_fen": 80_000,
        "pending_fen": 0,
        "lifetime_fen": 80_000,
        "fees_fen": 0,
        "currency": "CNY",
    }
    assert freelancer.ok("points", "balance", "--json").json()["balance"] > 0

    # reviews both ways, each once
    mine = client.ok("review", first["id"], "--stars", "5", "--text", "专业", "--json").json()
    assert (mine["stars"], mine["sync_state"]) == (5, "synced")
    theirs = freelancer.ok("review", first["id"], "--stars", "4", "--json").json()
    assert theirs["sync_state"] == "synced"
    again = client.run("review", first["id"], "--stars", "1")
    assert again.code == 4 and "already" in again.stderr

    second = complete_order(client, freelancer, "500.50")
    summary = freelancer.ok("earnings", "summary", "--json").json()
    assert summary == freelancer.api("GET", "/v1/earnings/summary")  # replica = server
    fee = summary["fees_fen"]
    assert fee > 0
    assert summary["available_fen"] == 80_000 + 50_050 - fee

    ledger = freelancer.ok("earnings", "ledger", "--json").json()
    assert [e["order_id"] for e in ledger] == [first["id"], second["id"]]
    assert {e["kind"] for e in ledger} == {"release"}
    assert [e["fee_fen"] for e in ledger] == [0, fee]

    rows = list(csv.DictReader(io.StringIO(freelancer.ok("earnings", "export").stdout)))
    assert [int(r["amount_fen"]) for r in rows] == [e["amount_fen"] for e in ledger]
    assert rows[1]["amount_yuan"] == f"{(50_050 - fee) / 100:.2f}"

    journal = freelancer.ok("earnings", "export", "--format", "ledger").stdout
    transactions = parse_journal(journal)
    assert len(transactions) == 2
    for postings in transactions:
        assert sum(postings.values()) == 0  # every transaction balances
    totals = _totals(transactions)
    assert totals["assets:jiedan:available"] == summary["available_fen"]
    assert totals["expenses:jiedan:fees"] == fee
    assert totals["income:jiedan"] == -(80_000 + 50_050)


def _totals(transactions: list[dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for postings in transactions:
        for account, fen in postings.items():
            totals[account] = totals.get(account, 0) + fen
    return totals
