"""Questions before a bid (咨询), from the command line: a freelancer asks the client about
an open order without bidding; the client reads and answers it."""

from __future__ import annotations

from tests.cli.conftest import User


def test_a_freelancer_asks_before_bidding_and_the_client_answers(
    freelancer: User, client: User
) -> None:
    order = client.post_order()
    freelancer.ok("sync")
    asked = freelancer.ok(
        "messages", "send", order["id"], "--text", "请问需要响应式吗？", "--json"
    ).json()
    assert (asked["sync_state"], asked["recipient_id"]) == ("synced", client.id)
    client.ok("sync")
    seen = client.ok("messages", "list", order["id"], "--json").json()
    assert [m["text"] for m in seen] == ["请问需要响应式吗？"]
    client.ok("messages", "send", order["id"], "--text", "需要", "--to", freelancer.id)
    freelancer.ok("sync")
    thread = freelancer.ok("messages", "list", order["id"], "--json").json()
    assert [m["text"] for m in thread] == ["请问需要响应式吗？", "需要"]
