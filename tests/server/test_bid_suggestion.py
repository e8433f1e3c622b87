"""The bid suggestion (智能定价): rounded quartiles of what clients accepted on similar completed
orders — the same category, sharing a tag when enough did — from at least five other clients,
or the client's budget when fewer did; a suggestion for an order the caller cannot see is a
404 like the order itself. Sealed bids stay sealed: an asker cannot read one back through it."""

from __future__ import annotations

from typing import Any

import pytest

from jiedan_cli.domain.pricing import ENOUGH_CLIENTS, budget_fit, price_range, round_hint
from tests.server.conftest import Server
from tests.server.escrow_flow import act, deliver, ok
from tests.server.market import award, place_bid, post_order


def awarded_at(
    server: Server, amount_fen: int, client: dict[str, Any] | None = None, **order: Any
) -> dict[str, Any]:
    """An order of `client` (a new one by default) awarded at `amount_fen`."""
    client = client or server.register("client")
    freelancer = server.register("freelancer")
    posted = post_order(server, client, budget_min_fen=10_000, budget_max_fen=400_000, **order)
    bid = place_bid(server, freelancer, posted["id"], amount_fen)
    award(server, client, posted["id"], bid["id"])
    return {"client": client, "freelancer": freelancer, "order": posted}


def accepted(
    server: Server, amount_fen: int, client: dict[str, Any] | None = None, **order: Any
) -> dict[str, Any]:
    """An order awarded at `amount_fen`, funded, delivered and accepted (completed)."""
    made = awarded_at(server, amount_fen, client, **order)
    order_id = made["order"]["id"]
    ok(act(server, made["client"], order_id, "fund"))
    deliver(server, made["freelancer"], order_id)
    assert ok(act(server, made["client"], order_id, "accept"))["status"] == "completed"
    return made


def suggest(server: Server, user: dict[str, Any], order_id: str) -> Any:
    return server.request("GET", f"/v1/orders/{order_id}/bid-suggestion", user["token"])


def figures(hint: dict[str, Any]) -> tuple[int, int, int, int]:
    return hint["low_fen"], hint["median_fen"], hint["high_fen"], hint["basis_count"]


def pairs(*amounts: int) -> list[tuple[str, int]]:
    """Each amount from a client of its own."""
    return [(f"client-{n}", amount) for n, amount in enumerate(amounts)]


@pytest.mark.parametrize(
    ("accepted_by", "expected"),
    [
        (pairs(100_000, 200_000, 300_000, 400_000, 500_000), (200_000, 300_000, 400_000, 5)),
        (pairs(123_456, 98_765, 150_000, 111_111, 133_333), (110_000, 120_000, 130_000, 5)),
        (pairs(500_000, 500_000, 500_000, 500_000, 500_000), (500_000, 500_000, 500_000, 5)),
        (pairs(100_000, 200_000, 300_000, 400_000), (1_000, 1_500, 2_000, 0)),  # 4 clients
        ([("same", 100_000)] * 9, (1_000, 1_500, 2_000, 0)),  # one client, many orders
    ],
)
def test_the_range_is_rounded_quartiles_from_enough_clients_or_the_budget(
    accepted_by: list[tuple[str, int]], expected: tuple[int, int, int, int]
) -> None:
    budget = (1_000, 2_000) if expected[3] == 0 else (1_000, 10_000_000)
    assert figures(price_range(accepted_by, budget)) == expected


MARKET = pairs(76_200, 100_000, 120_000, 150_000, 195_000)  # quartiles ¥1,000 ¥1,200 ¥1,500


@pytest.mark.parametrize(
    ("budget", "expected", "fit"),
    [
        ((50_000, 300_000), (100_000, 120_000, 150_000), ""),
        # reproduced by hand: ¥762–1,950 suggested on a ¥2,000–4,000 order
        ((200_000, 400_000), (200_000, 200_000, 200_000), "all below this client's budget"),
        ((20_000, 50_000), (50_000, 50_000, 50_000), "all above this client's budget"),
        ((110_000, 400_000), (110_000, 120_000, 150_000), "cut to this client's budget"),
    ],
)
def test_the_range_to_bid_in_is_fitted_into_the_clients_budget(
    budget: tuple[int, int], expected: tuple[int, int, int], fit: str
) -> None:
    found = price_range(MARKET, budget)
    assert figures(found)[:3] == expected
    assert (found["market_low_fen"], found["market_high_fen"]) == (100_000, 150_000)
    assert budget_fit(found, budget).startswith(fit) and bool(budget_fit(found, budget)) == bool(
        fit
    )


@pytest.mark.parametrize(
    ("fen", "rounded"),
    [
        (123_456, 120_000),  # ¥1,234.56 → ¥1,200
        (125_000, 130_000),  # half up
        (8_500, 9_000),  # ¥85 → ¥90 (steps of at least ¥10)
        (300, 1_000),  # never ¥0
        (12_345_678, 12_000_000),
        (1_000, 1_000),
    ],
)
def test_hints_keep_two_significant_figures_in_steps_of_at_least_ten_yuan(
    fen: int, rounded: int
) -> None:
    assert round_hint(fen) == rounded


def test_two_self_made_orders_no_longer_read_back_a_sealed_bid(server: Server) -> None:
    """The attack: the victim's order was accepted at ¥1,234.56; the attacker completes two
    orders of their own in the category, one below and one above, and asks for a hint. The
    basis was three and the median the victim's exact amount."""
    accepted(server, 123_456, category="writing", tags=["文案"])  # the victim's sealed bid
    attacker = server.register("both")
    accepted(server, 50_000, client=attacker, category="writing", tags=["文案"])
    accepted(server, 300_000, client=attacker, category="writing", tags=["文案"])
    target = post_order(
        server, attacker, category="writing", tags=["文案"], budget_min_fen=10_000,
        budget_max_fen=20_000,
    )  # fmt: skip
    hint = ok(suggest(server, attacker, target["id"]))
    assert figures(hint) == (10_000, 15_000, 20_000, 0)  # the budget: too few other clients
    assert "123456" not in str(hint) and "1234.56" not in hint["explanation"]


def test_only_completed_orders_of_other_clients_count(server: Server) -> None:
    for amount in (100_000, 110_000, 120_000, 130_000):
        accepted(server, amount, category="writing", tags=["文案"])
    awarded_at(server, 400_000, category="writing", tags=["文案"])  # awarded, not completed
    asker = server.register("both")
    accepted(server, 140_000, client=asker, category="writing", tags=["文案"])  # the asker's
    order = post_order(server, asker, category="writing", tags=["文案"])
    assert figures(ok(suggest(server, asker, order["id"])))[3] == 0  # four other clients

    accepted(server, 123_456, category="writing", tags=["文案"])  # the fifth
    hint = ok(suggest(server, asker, order["id"]))
    # 100000 110000 120000 123456 130000: quartiles 110000, 120000, 123456 → rounded
    assert figures(hint) == (110_000, 120_000, 120_000, 5)
    assert "rounded" in hint["explanation"]


def test_tagged_orders_count_when_enough_clients_share_a_tag(server: Server) -> None:
    for amount in (100_000, 120_000, 140_000, 160_000, 180_000):
        accepted(server, amount, category="design", tags=["logo"])
    for amount in (300_000, 320_000):  # design, but not logos
        accepted(server, amount, category="design", tags=["海报"])
    accepted(server, 50_000, category="writing", tags=["logo"])  # another category
    client, freelancer = server.register("client"), server.register("freelancer")
    wide = {"budget_min_fen": 10_000, "budget_max_fen": 400_000}  # the market fits inside
    order = post_order(server, client, category="design", tags=["logo", "品牌"], **wide)
    hint = ok(suggest(server, freelancer, order["id"]))
    assert figures(hint) == (120_000, 140_000, 160_000, 5)
    assert "tagged logo/品牌" in hint["explanation"]

    poster = post_order(server, client, category="design", tags=["插画"], **wide)  # no tag shared
    wider = ok(suggest(server, freelancer, poster["id"]))
    # 100000 … 180000, 300000, 320000: quartiles 130000, 160000, 240000
    assert figures(wider) == (130_000, 160_000, 240_000, 7)
    assert "设计 orders" in wider["explanation"]


def test_with_too_few_clients_the_budget_is_the_hint(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(
        server, client, category="translation", budget_min_fen=80_000, budget_max_fen=100_000
    )
    hint = ok(suggest(server, freelancer, order["id"]))
    assert figures(hint) == (80_000, 90_000, 100_000, 0)
    assert (
        "budget" in hint["explanation"] and f"fewer than {ENOUGH_CLIENTS}" in (hint["explanation"])
    )
    assert suggest(server, freelancer, "00000000-0000-7000-8000-000000000000").status_code == 404
