"""`jiedan profile portfolio add|list|remove` against the real server: items added online and
listed from the replica the sync filled, private ones shown to their owner only, a removed
one gone; the contract's exit codes for a bad link (2), an unknown item (3), no network (6)."""

from __future__ import annotations

from tests.cli.conftest import User


def test_a_portfolio_is_added_to_listed_and_trimmed(client: User, freelancer: User) -> None:
    public = freelancer.ok(
        *("profile", "portfolio", "add", "--title", "咖啡馆品牌 VI"),
        *("--url", "https://example.com/cafe", "--description", "Logo、菜单、杯套", "--json"),
    ).json()
    assert (public["title"], public["public"]) == ("咖啡馆品牌 VI", True)
    private = freelancer.ok(
        "profile", "portfolio", "add", "--title", "未公开的提案", "--private", "--json"
    ).json()
    assert private["public"] is False and private["url"] is None

    listed = freelancer.ok("profile", "portfolio", "list", "--json").json()
    assert {item["id"]: item["public"] for item in listed} == {
        public["id"]: True,
        private["id"]: False,
    }
    rows = freelancer.ok("profile", "portfolio", "list").stdout.splitlines()
    assert sorted(row.split("\t")[2] for row in rows) == ["everyone", "you"]
    seen = client.ok("profile", "show", freelancer.id, "--json").json()["portfolio"]
    assert [item["title"] for item in seen] == ["咖啡馆品牌 VI"]  # the private one is not

    removed = freelancer.ok("profile", "portfolio", "remove", private["id"])
    assert removed.stdout == "" and private["id"] in removed.stderr
    after = freelancer.ok("profile", "portfolio", "list", "--json").json()
    assert [item["id"] for item in after] == [public["id"]]


def test_portfolio_errors_keep_the_contracts_exit_codes(freelancer: User) -> None:
    bad_link = freelancer.run("profile", "portfolio", "add", "--title", "x", "--url", "ftp://a")
    assert bad_link.code == 2 and bad_link.stderr.startswith("error: ")
    unknown = freelancer.run(
        "profile", "portfolio", "remove", "00000000-0000-7000-8000-000000000000"
    )
    assert unknown.code == 3 and unknown.stderr.startswith("error: ")
    offline = freelancer.unreachable("profile", "portfolio", "add", "--title", "作品")
    assert offline.code == 6 and offline.stderr.startswith("error: cannot reach the server")
    assert freelancer.ok("profile", "portfolio", "list", "--json").json() == []
