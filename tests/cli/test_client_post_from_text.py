"""`jiedan client post --from-text`: the order drafted from a request in the person's words
(需求结构化), shown on stderr, posted through the same local-first path as `client post`;
options given too win over the draft; without a terminal to confirm on, --yes or nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.cli.conftest import User
from tests.cli.test_client_exit_codes import refused

LOGO = "想要一个清新风格的logo，预算500，下周五前"


def next_weeks_friday() -> date:
    today = date.today()
    return today - timedelta(days=today.weekday()) + timedelta(days=11)


def test_a_request_in_words_is_posted_as_its_draft_with_yes(client: User) -> None:
    done = client.ok("client", "post", "--from-text", LOGO, "--yes", "--json")
    order = done.json()
    assert order["title"] == "清新风格的logo"
    assert order["description"] == LOGO
    assert (order["category"], order["tags"]) == ("design", ["logo"])
    assert (order["budget_min_fen"], order["budget_max_fen"]) == (50_000, 50_000)
    assert order["deadline"] == next_weeks_friday().isoformat()
    assert (order["status"], order["sync_state"]) == ("open", "synced")
    # the draft, its style and the questions it leaves open, on stderr only
    assert "draft order" in done.stderr and "清新" in done.stderr
    assert "是否需要源文件" in done.stderr and "需要几个初稿方案" in done.stderr
    assert client.api("GET", f"/v1/orders/{order['id']}")["budget_max_fen"] == 50_000


def test_options_given_with_the_text_win_over_the_draft(client: User) -> None:
    order = client.ok(
        *("client", "post", "--from-text", LOGO, "--title", "奶茶店标志"),
        *("--category", "写作", "--tag", "品牌,奶茶", "--budget-max", "800"),
        *("--deadline", "2099-01-31", "--yes", "--offline", "--json"),
    ).json()
    assert (order["title"], order["category"], order["tags"]) == (
        "奶茶店标志",
        "writing",
        ["品牌", "奶茶"],
    )
    assert (order["budget_min_fen"], order["budget_max_fen"]) == (50_000, 80_000)  # min drafted
    assert order["deadline"] == "2099-01-31"
    assert order["sync_state"] == "pending"  # local-first: queued, as client post


def test_without_a_terminal_or_yes_nothing_is_posted(client: User) -> None:
    line = refused(client.run("client", "post", "--from-text", LOGO, "--json"), 2)
    assert "--yes" in line
    assert client.ok("orders", "list", "--mine", "--json").json() == []


def test_a_text_naming_no_budget_asks_for_one(client: User) -> None:
    done = client.run("client", "post", "--from-text", "家里空调不制冷了，明天上门修一下", "--yes")
    line = refused(done, 2)
    assert "no budget" in line and "--budget-min" in line
    assert "设备的品牌和型号是" in done.stderr  # the draft was shown all the same
    order = client.ok(
        *("client", "post", "--from-text", "家里空调不制冷了，明天上门修一下"),
        *("--budget-min", "100", "--budget-max", "300", "--yes", "--json"),
    ).json()
    assert (order["category"], order["tags"]) == ("repair", ["空调", "上门"])
    assert order["deadline"] == (date.today() + timedelta(days=1)).isoformat()


def test_without_from_text_the_order_options_are_still_required(client: User) -> None:
    done = client.run("client", "post", "--description", "x", "--category", "design")
    assert "missing option --title" in refused(done, 2)
    assert refused(client.run("client", "post", "--from-text", "  ", "--yes"), 2)


def _on_a_terminal(client: User, answer: str, *args: str) -> tuple[int, str, str]:
    """`jiedan ARGS` as a process whose stdin is a terminal, answering `answer`."""
    import os
    import pty
    import subprocess
    import sys

    from tests.cli.conftest import ROOT, environment

    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "jiedan_cli", *args],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(client.home, client.server.url),
            cwd=ROOT,
            text=True,
        )
        os.write(controller, answer.encode())
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)
    return process.returncode, stdout, stderr


@pytest.mark.subprocess
def test_on_a_terminal_the_draft_is_confirmed_first(client: User) -> None:
    post = ("client", "post", "--from-text", LOGO, "--offline", "--json")
    code, stdout, stderr = _on_a_terminal(client, "n\n", *post)
    assert (code, stdout) == (0, "") and "post this order?" in stderr and "not posted" in stderr
    assert client.ok("orders", "list", "--mine", "--json").json() == []
    code, stdout, stderr = _on_a_terminal(client, "y\n", *post)
    assert code == 0, stderr
    assert json.loads(stdout)["title"] == "清新风格的logo"
