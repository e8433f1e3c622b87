"""Empty results say why (issue #10, item 15): stdout stays empty (`[]` with --json) and the
exit code 0, and one line on stderr tells an empty local copy (sign in and sync) from filters
that matched nothing."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import User, closed_port_url, jiedan


def test_a_fresh_home_says_sign_in_and_sync(tmp_path: Path) -> None:
    home, server = tmp_path / "fresh", closed_port_url()
    listed = jiedan("orders", "list", home=home, server=server)
    assert (listed.code, listed.stdout) == (0, "")
    assert listed.stderr.startswith("no orders in the local copy; sign in and sync"), str(listed)
    as_json = jiedan("orders", "list", "--json", home=home, server=server)
    assert (as_json.code, as_json.json()) == (0, [])
    assert "no orders in the local copy" in as_json.stderr
    searched = jiedan("orders", "search", "网站", home=home, server=server)
    assert (searched.code, searched.stdout) == (0, "")
    assert "no orders in the local copy" in searched.stderr
    bids = jiedan("bid", "list", home=home, server=server)
    assert (bids.code, bids.stdout) == (0, "")
    assert "no bids in the local copy; sign in and sync" in bids.stderr


def test_filters_that_match_nothing_say_so(client: User, freelancer: User) -> None:
    order = client.post_order(title="咖啡馆菜单设计", category="design")
    freelancer.ok("sync")
    found = freelancer.ok("orders", "list", "--json").json()
    assert order["id"] in [o["id"] for o in found] and freelancer.ok("orders", "list").stderr == ""

    none = freelancer.ok("orders", "list", "--category", "translation", "--budget-min", "99999")
    assert none.stdout == ""
    assert none.stderr.strip() == "no orders match these filters"
    searched = freelancer.ok("orders", "search", "不存在的词语组合", "--json")
    assert searched.json() == [] and searched.stderr.strip() == "no orders match this search"

    no_bids = freelancer.ok("bid", "list")
    assert no_bids.stdout == "" and no_bids.stderr.startswith("no bids yet: `jiedan bid create")
    freelancer.ok("bid", "create", order["id"], "--amount", "800", "--days", "3")
    filtered = freelancer.ok("bid", "list", "--status", "withdrawn", "--json")
    assert filtered.json() == [] and filtered.stderr.strip() == "no bids match these filters"


def test_messages_and_a_clients_bids_say_when_there_are_none(client: User) -> None:
    order = client.post_order(title="年会视频剪辑", category="writing")
    client.ok("sync")
    messages = client.ok("messages", "list", order["id"], "--json")
    assert messages.json() == [] and messages.stderr.startswith("no messages on this order yet")
    bids = client.ok("client", "bids", order["id"])
    assert bids.stdout == "" and bids.stderr.startswith("no bids on this order yet")
