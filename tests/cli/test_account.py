"""`jiedan account export|delete` against the real server: the whole document on stdout (one
JSON document), or to a file only its owner can read; a path that cannot be written is exit
2, no network exit 6. Closing needs --yes, signs out here and on the server for good, and
waits while an order is under way (exit 4)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.cli.conftest import User, jiedan
from tests.sync.conftest import PASSWORD


def test_the_export_goes_to_stdout_or_to_a_private_file(freelancer: User, tmp_path: Path) -> None:
    shown = freelancer.ok("account", "export").json()
    assert shown["account"]["id"] == freelancer.id and shown["profile"]["user_id"] == freelancer.id

    target = tmp_path / "我的数据.json"
    done = freelancer.ok("account", "export", "-o", str(target))
    assert done.stdout == "" and str(target) in done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text(encoding="utf-8"))["account"]["email"] == freelancer.email


def test_export_errors_keep_the_contracts_exit_codes(freelancer: User, tmp_path: Path) -> None:
    nowhere = freelancer.run("account", "export", "-o", str(tmp_path / "no" / "such" / "x.json"))
    assert nowhere.code == 2 and nowhere.stderr.startswith("error: -o: cannot write")
    offline = freelancer.unreachable("account", "export")
    assert offline.code == 6 and offline.stdout == ""


def test_closing_the_account_needs_yes_then_signs_out_for_good(freelancer: User) -> None:
    unsure = freelancer.run("account", "delete")
    assert unsure.code == 2 and "--yes" in unsure.stderr
    # a token alone does not close it: no password (and no terminal to ask it on), or a wrong one
    no_password = freelancer.run("account", "delete", "--yes")
    assert no_password.code == 2 and "--password-stdin" in no_password.stderr
    wrong = freelancer.run("account", "delete", "--yes", "--password-stdin", input="guess 1234\n")
    assert wrong.code == 5 and wrong.stderr == "error: the password is wrong\n"
    assert freelancer.api("GET", "/v1/me")["email"] == freelancer.email
    done = freelancer.ok("account", "delete", "--yes", "--password-stdin", input=PASSWORD + "\n")
    assert "closed" in done.stderr
    assert freelancer.run("auth", "status").code == 5  # the token is gone here
    again = jiedan(
        "auth", "login", "--email", freelancer.email, "--password-stdin",
        home=freelancer.home, server=freelancer.server.url, input=PASSWORD,
    )  # fmt: skip
    assert again.code == 5  # and the account on the server


def test_an_account_with_work_under_way_stays_open(client: User, freelancer: User) -> None:
    order = client.post_order()
    bid = freelancer.ok("bid", "create", order["id"], "--amount", "3000", "--days", "5", "--json")
    client.api("POST", f"/v1/orders/{order['id']}/award", bid_id=bid.json()["id"])
    refused = freelancer.run("account", "delete", "--yes", "--password-stdin", input=PASSWORD)
    assert refused.code == 4 and "under way" in refused.stderr
    assert freelancer.ok("auth", "status", "--json").json()["logged_in"] is True
