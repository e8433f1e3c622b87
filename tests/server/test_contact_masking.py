"""Contacts are masked on every text a counterpart reads before the award, however written:
a message, a bid's message (placed, updated, pushed offline), an order's title and
description. The attack: a bidder put `1 3 8 0 0 1 3 8 0 0 0` in a bid message (bids were
never masked) and full-width digits in a message."""

from __future__ import annotations

from typing import Any

import pytest

from jiedan_cli.domain.contacts import MASK
from tests.server.conftest import Server
from tests.server.escrow_flow import ok
from tests.server.market import changes_of, place_bid, post_order

DISGUISED = [
    "加我 1 3 8 0 0 1 3 8 0 0 0 细聊",
    "电话 １３８－００１３－８０００",
    "微信号：ｃｈｅｎ＿ｄｅｓｉｇｎ８８",
    "QQ 1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8",
    "电话 一三八 零零一三 八零零零",
]


def shown(text: str) -> bool:
    """Whether a disguised contact of DISGUISED survives in `text`."""
    digits = "".join(ch for ch in text if ch.isdigit() or ch in "零一二三四五六七八九")
    return "design" in text or "ｄｅｓｉｇｎ" in text or len(digits) >= 8


@pytest.mark.parametrize("text", DISGUISED)
def test_a_bid_message_is_masked_for_the_client(sqlite_server: Server, text: str) -> None:
    server = sqlite_server
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client)
    bid = place_bid(server, freelancer, order["id"], message=text)
    assert MASK in bid["message"] and not shown(bid["message"])
    seen = server.request("GET", f"/v1/orders/{order['id']}/bids", client["token"])
    assert seen.status_code == 200 and [b["message"] for b in seen.json()] == [bid["message"]]
    assert [c["payload"]["message"] for c in changes_of(server, "bid", bid["id"])] == [
        bid["message"]
    ]


def test_a_bid_updated_or_pushed_offline_is_masked(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client)
    bid = place_bid(server, freelancer, order["id"], message="三天出稿")
    assert bid["message"] == "三天出稿"  # ordinary text is left alone
    updated = server.request(
        "PATCH", f"/v1/bids/{bid['id']}", freelancer["token"], json={"message": DISGUISED[0]}
    )
    message = ok(updated)["message"]
    assert MASK in message and not shown(message)

    other = post_order(server, client)
    op = {
        "seq": 1,
        "op_id": "0192f000-0000-7000-8000-0000000000b1",
        "intent": "place_bid",
        "args": {"order_id": other["id"], "amount_fen": 80_000, "days": 5, "message": DISGUISED[1]},
    }
    pushed = ok(
        server.request(
            "POST",
            "/v1/sync/push",
            freelancer["token"],
            json={"client_id": "laptop", "ops": [op]},
        )
    )["results"][0]
    assert pushed["status"] == "applied" and MASK in pushed["result"]["message"]
    logged = changes_of(server, "bid", pushed["result"]["id"])
    assert [c["payload"]["message"] for c in logged] == [pushed["result"]["message"]]
    assert not shown(pushed["result"]["message"])


def test_an_orders_title_and_description_are_masked(sqlite_server: Server) -> None:
    server = sqlite_server
    client = server.register("client")
    order = post_order(
        server,
        client,
        title="logo 设计 ｗｘ：ｃｈｅｎ＿ｄｅｓｉｇｎ８８",
        description="预算 5000 元，7 天。详谈 1 3 8 0 0 1 3 8 0 0 0",
    )
    assert MASK in order["title"] and MASK in order["description"]
    assert order["description"].startswith("预算 5000 元，7 天。")  # amounts left alone
    assert not shown(order["title"]) and not shown(order["description"].replace("5000", ""))
    edited = server.request(
        "PATCH", f"/v1/orders/{order['id']}", client["token"], json={"description": DISGUISED[1]}
    )
    assert MASK in ok(edited)["description"]


@pytest.mark.parametrize("text", DISGUISED)
def test_a_message_written_to_dodge_the_mask_is_masked(sqlite_server: Server, text: str) -> None:
    server = sqlite_server
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client)
    place_bid(server, freelancer, order["id"])
    sent = ok(
        server.request(
            "POST", f"/v1/orders/{order['id']}/messages", freelancer["token"], json={"text": text}
        ),
        201,
    )
    assert sent["flagged"] is True and MASK in sent["text"] and not shown(sent["text"])


def test_ordinary_amounts_and_dates_pass_untouched(sqlite_server: Server) -> None:
    server = sqlite_server
    client, freelancer = server.register("client"), server.register("freelancer")
    plain = "预算 5000 元，7 天；2026-12-31 前交付，报价 ¥13,800.00"
    order = post_order(server, client, description=plain)
    bid: dict[str, Any] = place_bid(server, freelancer, order["id"], message=plain)
    assert (order["description"], bid["message"]) == (plain, plain)
