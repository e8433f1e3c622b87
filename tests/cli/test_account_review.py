"""A registration held by the risk engine, through the real server and the real command
line (#12): a second account from one install is made and works, `jiedan auth status` and
`jiedan account status` say it is under review with the reason until a reviewer decides;
blocked, the account is closed and `jiedan auth login` says so with the reason (exit 5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import User, new_user
from tests.cli.test_verify import staff_user
from tests.sync.conftest import PASSWORD, LiveServer


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second account on one install is held for review (accounts_on_device at 2)."""
    path = tmp_path_factory.mktemp("server") / "server.db"
    server = LiveServer(f"sqlite:///{path}", risk_record=True, risk_limits="accounts_on_device=2")
    yield server
    server.stop()


def second_account(first: User, tmp_path: Path, label: str) -> User:
    """An account registered from `first`'s install (its JIEDAN_HOME): held for review."""
    email = f"{label}-{first.email}"
    made = first.run(
        *("auth", "register", "--email", email, "--name", "小号"),
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert made.code == 0, str(made)
    assert "your account is under review (人工审核): " in made.stderr
    return User(first.server, first.home, email)


def test_a_held_account_shows_under_review_until_released(
    live_server: LiveServer, tmp_path: Path
) -> None:
    first = new_user(live_server, tmp_path)
    assert first.ok("auth", "status", "--json").json()["review"] is None
    second = second_account(first, tmp_path, "held")

    status = second.ok("auth", "status", "--json").json()
    assert status["email"] == second.email and status["logged_in"] is True
    review = status["review"]
    assert review["status"] == "under review" and "device" in review["reason"]
    table = second.ok("auth", "status").stdout
    assert "under review since" in table and review["reason"] in table
    account = second.ok("account", "status", "--json").json()
    assert (account["standing"], account["review_reason"]) == ("under review", review["reason"])
    assert "under review" in second.ok("account", "status").stdout
    second.ok("orders", "list")  # the account works meanwhile

    reviewer = staff_user(first, tmp_path, "reviewer")
    reviewer.ok("admin", "release", review["hold_id"])
    assert second.ok("auth", "status", "--json").json()["review"] is None
    assert second.ok("account", "status", "--json").json()["standing"] == "active"


def test_a_blocked_account_is_told_why_at_sign_in(live_server: LiveServer, tmp_path: Path) -> None:
    first = new_user(live_server, tmp_path)
    second = second_account(first, tmp_path, "blocked")
    hold_id = second.ok("auth", "status", "--json").json()["review"]["hold_id"]
    reviewer = staff_user(first, tmp_path, "reviewer")
    reviewer.ok("admin", "block", hold_id, "--reason", "批量注册小号")

    gone = second.run("auth", "status")
    assert gone.code == 5, str(gone)  # its sessions ended
    again = User(live_server, tmp_path / "elsewhere", second.email)
    login = again.run("auth", "login", "--email", second.email, "--password-stdin", input=PASSWORD)
    assert login.code == 5, str(login)
    (line,) = login.stderr.strip().splitlines()
    assert line == "error: this account was closed after review (人工审核): 批量注册小号"
    wrong = again.run("auth", "login", "--email", second.email, "--password-stdin", input="nope!")
    assert wrong.code == 5 and "closed" not in wrong.stderr
