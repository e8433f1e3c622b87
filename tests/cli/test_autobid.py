"""`jiedan autobid run` against the real server: a dry run prints the plan and places
nothing; a run places the bids (the server has them) and a second run finds nothing left to
bid on; a rules file with a mistake is exit 2 naming the rule."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import User

RULES = """
[[rule]]
watch = "logos"
amount = "budget_max"
factor = 0.9
days = 5
message = "您好，$title 我可以做，$days 天交付。"
max_per_day = 5
"""


def test_autobid_plans_then_bids(client: User, freelancer: User, tmp_path: Path) -> None:
    order = client.post_order(
        title="咖啡店 logo", category="design", budget_min_fen=50_000, budget_max_fen=100_000
    )
    client.post_order(title="网站开发", category="development")
    freelancer.ok("sync")
    freelancer.ok("watch", "add", "logos", "--query", "logo")
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")

    [would] = freelancer.ok("autobid", "run", "--rules", str(rules), "--dry-run", "--json").json()
    assert (would["order_id"], would["amount_fen"], would["outcome"]) == (
        order["id"],
        90_000,
        "would bid",
    )
    assert freelancer.ok("bid", "list", "--json").json() == []

    [placed] = freelancer.ok("autobid", "run", "--rules", str(rules), "--json").json()
    assert (
        placed["sync_state"] == "synced"
        and placed["message"] == "您好，咖啡店 logo 我可以做，5 天交付。"
    )
    [mine] = client.api("GET", f"/v1/orders/{order['id']}/bids")
    assert (mine["amount_fen"], mine["freelancer_id"]) == (90_000, freelancer.id)
    assert freelancer.ok("autobid", "run", "--rules", str(rules), "--json").json() == []


def test_a_rules_file_with_a_mistake_is_exit_2(freelancer: User, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nwatch = "logos"\ndays = 0\n', encoding="utf-8")
    done = freelancer.run("autobid", "run", "--rules", str(rules))
    assert done.code == 2 and done.stderr.startswith("error: rule 1: days")
    rules.write_text("[[rule]\n", encoding="utf-8")
    assert freelancer.run("autobid", "run", "--rules", str(rules)).code == 2


def test_a_run_with_nothing_to_bid_says_why(client: User, freelancer: User, tmp_path: Path) -> None:
    # it printed nothing and exited 0: a new user could not tell a cap from no match
    first = client.post_order(title="花店 logo", category="design")
    client.post_order(title="书店 logo", category="design")
    freelancer.ok("sync")
    freelancer.ok("watch", "add", "logos", "--query", "logo")
    freelancer.ok("bid", "create", first["id"], "--amount", "800", "--days", "3")
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES.replace("max_per_day = 5", "max_per_day = 1"), encoding="utf-8")
    capped = freelancer.ok("autobid", "run", "--rules", str(rules), "--dry-run", "--json")
    assert capped.json() == []
    assert capped.stderr == (
        "nothing to bid: rule 1 (logos) has its max_per_day of 1 today"
        " (your bids today on what it finds count)\n"
    )
    rules.write_text("max_bids_per_day = 1\n" + RULES, encoding="utf-8")
    day = freelancer.ok("autobid", "run", "--rules", str(rules), "--dry-run")
    assert day.stdout == ""
    assert day.stderr == "nothing to bid: max_bids_per_day is 1 and you placed 1 bid today\n"
    freelancer.ok("watch", "add", "apps", "--query", "小程序")
    rules.write_text(RULES.replace('"logos"', '"apps"'), encoding="utf-8")
    none = freelancer.ok("autobid", "run", "--rules", str(rules), "--dry-run")
    assert none.stderr == (
        "nothing to bid: the saved searches find no open order without a bid of yours\n"
    )
