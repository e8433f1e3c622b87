"""A freelancer's payout line carries the fee withheld from it (`fee_fen`), in the change log
the client replica pulls and in GET /v1/earnings/ledger alike: the fee itself goes to
platform:fees, which the freelancer never sees, yet their books and tier need it."""

from __future__ import annotations

from typing import Any

from tests.server.conftest import Server
from tests.server.escrow_flow import completed, ok, summary, transfers
from tests.server.market import changes_of


def ledger(server: Server, user: dict[str, Any]) -> list[dict[str, Any]]:
    response = server.request("GET", "/v1/earnings/ledger", user["token"])
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_payout_line_carries_its_fee_in_the_api_and_the_change_log(server: Server) -> None:
    _client, freelancer, first = completed(server, amount_fen=80_000)  # the first is fee-free
    _client, freelancer, second = completed(server, amount_fen=50_000, freelancer=freelancer)
    [fee] = transfers(server, kind="fee", order_id=second["id"])
    assert fee.amount_fen > 0

    entries = ledger(server, freelancer)
    by_order = {e["order_id"]: e for e in entries}
    assert by_order[first["id"]]["fee_fen"] == 0
    assert by_order[second["id"]]["fee_fen"] == fee.amount_fen
    assert by_order[second["id"]]["amount_fen"] + fee.amount_fen == 50_000
    assert sum(e["fee_fen"] for e in entries) == summary(server, freelancer)["fees_fen"]

    pulled = changes_of(server, "ledger_entry", by_order[second["id"]]["id"])
    assert [c["payload"]["fee_fen"] for c in pulled] == [fee.amount_fen]
    assert all(c["audience"] == {freelancer["id"]} for c in pulled)


def test_lines_other_than_payouts_carry_no_fee(server: Server) -> None:
    _client, freelancer, _order = completed(server, amount_fen=80_000)
    ok(
        server.request(
            "POST", "/v1/earnings/withdraw", freelancer["token"], json={"amount_fen": 30_000}
        ),
        201,
    )
    [withdrawal] = [e for e in ledger(server, freelancer) if e["kind"] == "withdraw"]
    assert withdrawal == {**withdrawal, "amount_fen": -30_000, "fee_fen": 0}
