"""Messages: threads between an order's client and each freelancer who bid; contact details
masked and flagged until that freelancer is awarded the order."""

from __future__ import annotations

from typing import Any

import pytest

from jiedan_cli.domain.contacts import MASK
from tests.server.conftest import Server
from tests.server.market import award, changes_of, place_bid, post_order


def send(server: Server, user: dict[str, Any], order_id: str, text: str, **extra: Any) -> Any:
    return server.request(
        "POST", f"/v1/orders/{order_id}/messages", user["token"], json={"text": text, **extra}
    )


def thread(server: Server, user: dict[str, Any], order_id: str) -> Any:
    return server.request("GET", f"/v1/orders/{order_id}/messages", user["token"])


@pytest.fixture
def bidding(server: Server) -> dict[str, Any]:
    """An open order with two bidders."""
    client = server.register("client")
    alice, bob = server.register("freelancer"), server.register("freelancer")
    order = post_order(server, client)
    return {
        "client": client,
        "alice": alice,
        "bob": bob,
        "order": order,
        "alice_bid": place_bid(server, alice, order["id"]),
        "bob_bid": place_bid(server, bob, order["id"]),
    }


def test_a_bidder_and_the_client_exchange_messages(server: Server, bidding: dict[str, Any]) -> None:
    client, alice, order_id = bidding["client"], bidding["alice"], bidding["order"]["id"]
    asked = send(server, alice, order_id, "请问需要几种配色?")
    assert asked.status_code == 201, asked.text
    question = asked.json()
    assert set(question) == {
        "id",
        "order_id",
        "sender_id",
        "recipient_id",
        "text",
        "flagged",
        "created_at",
    }
    assert (question["sender_id"], question["recipient_id"]) == (alice["id"], client["id"])
    assert question["flagged"] is False
    server.clock.advance(seconds=30)
    answer = send(server, client, order_id, "三种", to=alice["id"]).json()
    assert answer["recipient_id"] == alice["id"]
    assert thread(server, alice, order_id).json() == [question, answer]
    assert changes_of(server, "message", question["id"]) == [
        {"payload": question, "public": False, "audience": {alice["id"], client["id"]}}
    ]


@pytest.mark.parametrize(
    "text",
    [
        "加我微信 wx: chen_design88 细聊",
        "电话 138-1234-5678",
        "QQ 123456789",
        "邮箱 chen@example.com",
    ],
)
def test_contact_details_are_masked_before_the_award(sqlite_server: Server, text: str) -> None:
    server = sqlite_server
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client)
    place_bid(server, freelancer, order["id"])
    sent = send(server, freelancer, order["id"], text).json()
    assert sent["flagged"] is True
    assert MASK in sent["text"]
    assert thread(server, client, order["id"]).json()[0]["text"] == sent["text"]


def test_after_the_award_only_the_winner_may_share_contacts(
    server: Server, bidding: dict[str, Any]
) -> None:
    client, alice, bob = bidding["client"], bidding["alice"], bidding["bob"]
    order_id = bidding["order"]["id"]
    award(server, client, order_id, bidding["alice_bid"]["id"])
    to_winner = send(server, client, order_id, "我的电话 13812345678", to=alice["id"]).json()
    assert (to_winner["flagged"], to_winner["text"]) == (False, "我的电话 13812345678")
    from_loser = send(server, bob, order_id, "私下做吧 QQ 123456789")
    assert from_loser.status_code == 409 and from_loser.json()["code"] == "thread_closed"


def test_after_the_award_the_losing_bidders_threads_are_closed(
    server: Server, bidding: dict[str, Any]
) -> None:
    """Bob lost the order: neither he nor the client writes in their thread any more (REST
    and push alike); what was said before stays readable to both."""
    client, alice, bob = bidding["client"], bidding["alice"], bidding["bob"]
    order_id = bidding["order"]["id"]
    before = send(server, bob, order_id, "还在考虑吗?").json()
    award(server, client, order_id, bidding["alice_bid"]["id"])
    for refused in (
        send(server, bob, order_id, "还能改吗?"),
        send(server, bob, order_id, "还能改吗?", to=client["id"]),
        send(server, client, order_id, "抱歉", to=bob["id"]),
    ):
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "thread_closed"
    pushed = server.request(
        "POST",
        "/v1/sync/push",
        bob["token"],
        json={
            "client_id": "bob-laptop",
            "ops": [
                {
                    "seq": 1,
                    "op_id": "0192f000-0000-7000-8000-00000000b0b1",
                    "intent": "send_message",
                    "args": {"order_id": order_id, "text": "离线写的"},
                }
            ],
        },
    ).json()["results"][0]
    assert (pushed["status"], pushed["code"]) == ("rejected", "thread_closed")
    assert thread(server, bob, order_id).json() == [before]
    assert send(server, alice, order_id, "收到").status_code == 201  # the winner's thread


def test_the_client_must_name_a_freelancer_who_bid(sqlite_server: Server) -> None:
    server = sqlite_server
    client, freelancer = server.register("client"), server.register("freelancer")
    stranger = server.register("freelancer")
    order = post_order(server, client)
    place_bid(server, freelancer, order["id"])
    assert send(server, client, order["id"], "你好").status_code == 422
    assert send(server, client, order["id"], "你好", to=stranger["id"]).status_code == 422
    assert send(server, client, order["id"], "你好", to=client["id"]).status_code == 422
    assert send(server, freelancer, order["id"], "你好", to=stranger["id"]).status_code == 422
    assert send(server, client, order["id"], "你好", to=freelancer["id"]).status_code == 201


def test_once_awarded_the_client_writes_to_its_freelancer_without_naming_them(
    server: Server, bidding: dict[str, Any]
) -> None:
    client, alice = bidding["client"], bidding["alice"]
    order_id = bidding["order"]["id"]
    assert send(server, client, order_id, "开始吧").status_code == 422  # two bidders: which?
    award(server, client, order_id, bidding["alice_bid"]["id"])
    sent = send(server, client, order_id, "开始吧")
    assert sent.status_code == 201 and sent.json()["recipient_id"] == alice["id"]


def test_the_client_sees_every_thread_and_a_freelancer_only_theirs(
    server: Server, bidding: dict[str, Any]
) -> None:
    client, alice, bob = bidding["client"], bidding["alice"], bidding["bob"]
    order_id = bidding["order"]["id"]
    from_alice = send(server, alice, order_id, "alice 的问题").json()
    from_bob = send(server, bob, order_id, "bob 的问题").json()
    to_bob = send(server, client, order_id, "回复 bob", to=bob["id"]).json()
    assert thread(server, client, order_id).json() == [from_alice, from_bob, to_bob]
    assert thread(server, alice, order_id).json() == [from_alice]
    assert thread(server, bob, order_id).json() == [from_bob, to_bob]


def test_strangers_neither_read_nor_write_a_thread(sqlite_server: Server) -> None:
    server = sqlite_server
    client, freelancer = server.register("client"), server.register("freelancer")
    stranger = server.register("client")  # a freelancer may ask: see below
    order = post_order(server, client)
    place_bid(server, freelancer, order["id"])
    send(server, freelancer, order["id"], "你好")
    assert thread(server, stranger, order["id"]).status_code == 404
    assert send(server, stranger, order["id"], "你好").status_code == 404
    assert thread(server, stranger, "no-such-order").status_code == 404
    anonymous = server.request("GET", f"/v1/orders/{order['id']}/messages")
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    "extra",
    [
        {"flagged": False},
        {"sender_id": "someone"},
        {"recipient_id": "someone"},
        {"text": ""},
        {"text": "长" * 5_001},
    ],
)
def test_bad_or_forbidden_message_fields_are_422(
    sqlite_server: Server, extra: dict[str, Any]
) -> None:
    server = sqlite_server
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client)
    place_bid(server, freelancer, order["id"])
    body = {"text": "你好", **extra}
    response = server.request(
        "POST", f"/v1/orders/{order['id']}/messages", freelancer["token"], json=body
    )
    assert response.status_code == 422


def test_a_freelancer_may_ask_about_an_open_order_before_bidding(sqlite_server: Server) -> None:
    """咨询: a question opens the thread (masked like every message before an award), the
    client answers it, nobody else reads it; after the award to someone else it is closed,
    and an order no longer open takes no new questions."""
    server = sqlite_server
    client, asker, other = (server.register(role) for role in ("client", "freelancer", "both"))
    order_id = post_order(server, client)["id"]
    asked = send(server, asker, order_id, "可以用 Figma 交付吗？加我 138 0013 8000")
    assert asked.status_code == 201, asked.text
    assert asked.json()["flagged"] is True and "138" not in asked.json()["text"]
    answer = send(server, client, order_id, "可以", to=asker["id"])
    assert answer.status_code == 201, answer.text
    assert [m["text"] for m in thread(server, asker, order_id).json()] == [
        asked.json()["text"],
        "可以",
    ]
    assert thread(server, other, order_id).status_code == 404  # not their thread
    assert send(server, asker, order_id, "x", to=other["id"]).status_code == 422

    winner = server.register("freelancer")
    award(server, client, order_id, place_bid(server, winner, order_id)["id"])
    closed = send(server, asker, order_id, "还在吗")
    assert (closed.status_code, closed.json()["code"]) == (409, "thread_closed")
    assert send(server, other, order_id, "你好").status_code == 404  # no longer open


def test_questions_before_bidding_are_capped_per_day(sqlite_server: Server) -> None:
    from jiedan_cli.domain.threads import QUESTIONS_PER_DAY

    server = sqlite_server
    client, asker = server.register("client"), server.register("freelancer")
    orders = [post_order(server, client)["id"] for _ in range(3)]
    for n in range(QUESTIONS_PER_DAY):
        assert send(server, asker, orders[n % 3], f"问题 {n}").status_code == 201
    refused = send(server, asker, orders[0], "再问一个")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    place_bid(server, asker, orders[1])  # a bidder's messages are no questions
    assert send(server, asker, orders[1], "投标后的消息").status_code == 201
    server.clock.advance(days=1)
    assert send(server, asker, orders[2], "第二天").status_code == 201
