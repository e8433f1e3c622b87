"""Short ids (issue #10, item 9): a unique prefix of at least 6 characters of an id the local
replica knows works wherever a command takes an id; the server is sent the whole id. An
ambiguous prefix is exit 2 listing the candidates (id and title); a shorter one is taken as
it is (and so is not found)."""

from __future__ import annotations

from tests.cli.conftest import User


def common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def shortest_unique(mine: str, other: str, at_least: int = 6) -> str:
    """The shortest prefix of `mine` (at least `at_least` long) that `other` does not share."""
    common = len(common_prefix(mine, other))
    return mine[: max(common + 1, at_least)]


def test_unique_prefixes_work_for_orders_and_bids_and_the_server_gets_whole_ids(
    client: User, freelancer: User
) -> None:
    first = client.post_order(title="门店标志设计")
    second = client.post_order(title="公众号排版")
    freelancer.ok("sync")
    short = shortest_unique(first["id"], second["id"])
    assert len(short) < len(first["id"])

    shown = freelancer.ok("orders", "show", short, "--json").json()
    assert shown["id"] == first["id"]

    bid = freelancer.ok("bid", "create", short, "--amount", "2500", "--days", "5", "--json")
    placed = bid.json()
    assert (placed["order_id"], placed["sync_state"]) == (first["id"], "synced")
    assert freelancer.ok("bid", "list", "--order", short, "--json").json()[0]["id"] == placed["id"]
    assert freelancer.ok("messages", "list", short, "--json").json() == []

    client.ok("sync")
    short_bid = placed["id"][:12]
    listed = client.ok("client", "bids", short, "--json").json()
    assert [b["id"] for b in listed] == [placed["id"]]
    awarded = client.ok("client", "award", short, short_bid, "--json").json()
    assert (awarded["id"], awarded["status"], awarded["sync_state"]) == (
        first["id"],
        "awarded",
        "synced",
    )
    # the server holds the award of the whole ids
    assert client.api("GET", f"/v1/orders/{first['id']}")["awarded_bid_id"] == placed["id"]


def test_an_ambiguous_prefix_is_exit_2_listing_the_candidates(client: User) -> None:
    first = client.post_order(title="品牌手册")
    second = client.post_order(title="产品海报")
    client.ok("sync")
    common = common_prefix(first["id"], second["id"])
    assert len(common) >= 6  # UUIDv7: made a moment apart, they share their time stamp

    done = client.run("orders", "show", common[:8], "--json")
    assert done.code == 2, str(done)
    assert done.stdout == ""
    assert f"error: {common[:8]} is the start of" in done.stderr
    assert f"{first['id']}  品牌手册" in done.stderr
    assert f"{second['id']}  产品海报" in done.stderr

    mutating = client.run("client", "cancel", common[:8])
    assert mutating.code == 2 and "give more of the id" in mutating.stderr, str(mutating)
    assert client.api("GET", f"/v1/orders/{first['id']}")["status"] == "open"


def test_a_prefix_shorter_than_6_or_unknown_is_not_found(client: User) -> None:
    order = client.post_order(title="短号测试")
    client.ok("sync")
    too_short = client.run("orders", "show", order["id"][:5])
    assert too_short.code == 3 and "no order" in too_short.stderr, str(too_short)
    unknown = client.run("orders", "show", "ffffffff-ffff")
    assert unknown.code == 3 and "no order ffffffff-ffff" in unknown.stderr, str(unknown)


def test_a_word_that_is_no_id_is_not_found_and_nothing_is_queued(
    client: User, freelancer: User
) -> None:
    # once queued as given: the server refused it with a regular expression ("order_id: String
    # should match pattern '^[0-9a-fA-F]{8}-…'") and the rejected bid stayed in `bid list`
    for user, args in [
        (freelancer, ("bid", "create", "zzzzzzzz", "--amount", "100", "--days", "3")),
        (freelancer, ("deliver", "zzzzzzzz", "--note", "稿件")),
        (freelancer, ("messages", "send", "zzzzzzzz", "--text", "你好")),
        (freelancer, ("review", "zzzzzzzz", "--stars", "5")),
        (client, ("client", "award", "zzzzzzzz", "yyyyyyyy")),
        (client, ("client", "fund", "not-an-order")),
        (client, ("client", "cancel", "zzzzzzzz")),
        (client, ("dispute", "open", "zzzzzzzz", "--reason", "没交付")),
    ]:
        for offline in ((), ("--offline",)):
            done = user.run(*args, *offline, "--json")
            assert done.code == 3 and done.stdout == "", str(done)
            assert done.stderr.startswith("error: no order ") and done.stderr.count("\n") == 1
    for user in (client, freelancer):
        assert user.ok("sync", "status", "--json").json()["pending"] == 0
    bid = freelancer.run("bid", "withdraw", "zzzzzzzz")
    assert bid.code == 3 and bid.stderr.startswith("error: no bid zzzzzzzz"), str(bid)
