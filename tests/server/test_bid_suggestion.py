"""The bid suggestion (智能定价): quartiles of what clients accepted on similar orders — the
same category, sharing a tag when enough did — or the client's budget when too few did; a
suggestion for an order the caller cannot see is a 404 like the order itself."""

from __future__ import annotations

from typing import Any

import pytest

from jiedan_cli.domain.pricing import price_range
from tests.server.conftest import Server
from tests.server.escrow_flow import ok
from tests.server.market import award, place_bid, post_order


def accepted(server: Server, amount_fen: int, **order: Any) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    posted = post_order(server, client, budget_min_fen=10_000, budget_max_fen=400_000, **order)
    award(
        server, client, posted["id"], place_bid(server, freelancer, posted["id"], amount_fen)["id"]
    )


def suggest(server: Server, user: dict[str, Any], order_id: str) -> Any:
    return server.request("GET", f"/v1/orders/{order_id}/bid-suggestion", user["token"])


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ([100, 200, 300, 400], (175, 250, 325, 4)),
        ([300, 100, 200], (150, 200, 250, 3)),
        ([500, 500, 500], (500, 500, 500, 3)),
        ([100, 200], (1_000, 1_500, 2_000, 0)),  # too few: the budget
    ],
)
def test_the_range_is_the_quartiles_or_the_budget(
    amounts: list[int], expected: tuple[int, int, int, int]
) -> None:
    found = price_range(amounts, (1_000, 2_000))
    assert (found["low_fen"], found["median_fen"], found["high_fen"], found["basis_count"]) == (
        expected
    )


def test_tagged_orders_count_when_enough_share_a_tag(server: Server) -> None:
    for amount in (100_000, 120_000, 140_000, 160_000):
        accepted(server, amount, category="design", tags=["logo"])
    for amount in (300_000, 320_000):  # design, but not logos
        accepted(server, amount, category="design", tags=["海报"])
    accepted(server, 50_000, category="writing", tags=["logo"])  # another category
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, category="design", tags=["logo", "品牌"])
    hint = ok(suggest(server, freelancer, order["id"]))
    assert (hint["low_fen"], hint["median_fen"], hint["high_fen"]) == (115_000, 130_000, 145_000)
    assert hint["basis_count"] == 4 and "tagged logo/品牌" in hint["explanation"]

    poster = post_order(server, client, category="design", tags=["插画"])  # no tag in common
    wider = ok(suggest(server, freelancer, poster["id"]))
    assert wider["basis_count"] == 6 and "设计 orders" in wider["explanation"]


def test_with_too_few_accepted_bids_the_budget_is_the_hint(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(
        server, client, category="translation", budget_min_fen=80_000, budget_max_fen=100_000
    )
    hint = ok(suggest(server, freelancer, order["id"]))
    assert (hint["low_fen"], hint["median_fen"], hint["high_fen"], hint["basis_count"]) == (
        80_000,
        90_000,
        100_000,
        0,
    )
    assert "budget" in hint["explanation"]
    assert suggest(server, freelancer, "00000000-0000-7000-8000-000000000000").status_code == 404
