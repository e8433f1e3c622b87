"""Online-only commands the risk engine watches (`earnings withdraw`, `auth register`) against
the real server with the real rules at low limits: a withdrawal held for review prints the
hold and exits 4 `error: held for review: <reason>`; one blocked exits 4 `error: <reason>`;
a registration blocked outright exits 4 with the reason and signs nobody in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Run, User, new_user
from tests.sync.conftest import PASSWORD, LiveServer

SHA = "ab" * 32
WITHDRAWAL_REASON = "1 or more withdrawals in 24 hours"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second withdrawal within a day is held (withdrawal_velocity at 1)."""
    path = tmp_path_factory.mktemp("server") / "server.db"
    server = LiveServer(f"sqlite:///{path}", risk_record=True, risk_limits="withdrawals=1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Blocks what `live_server` holds; a second account on one install is blocked too."""
    path = tmp_path_factory.mktemp("strict") / "server.db"
    server = LiveServer(
        f"sqlite:///{path}",
        risk_record=True,
        risk_limits="withdrawals=1,accounts_on_device=2",
        risk_review_at=50,
        risk_block_at=50,
    )
    yield server
    server.stop()


def earned(client: User, freelancer: User, amount_fen: int = 100_000) -> None:
    """An order of `client` completed by `freelancer` through the API: money to withdraw."""
    order = client.post_order()
    path = f"/v1/orders/{order['id']}"
    bid = freelancer.api("POST", f"{path}/bids", amount_fen=amount_fen, days=3, message="可以")
    client.api("POST", f"{path}/award", bid_id=bid["id"])
    client.api("POST", f"{path}/fund")
    files = [{"name": "logo.ai", "size": 2048, "sha256": SHA}]
    freelancer.api("POST", f"{path}/deliveries", note="初稿", files=files)
    client.api("POST", f"{path}/accept")


def available(user: User) -> int:
    return int(user.api("GET", "/v1/earnings/summary")["available_fen"])


def refused_with(run: Run, start: str) -> str:
    assert run.code == 4, str(run)
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(start), line
    return line


def test_a_held_withdrawal_prints_the_hold_and_exits_4(client: User, freelancer: User) -> None:
    earned(client, freelancer)
    freelancer.ok("earnings", "withdraw", "--amount", "100")
    before = available(freelancer)

    held = freelancer.run("earnings", "withdraw", "--amount", "50")
    line = refused_with(held, "error: held for review: ")
    assert WITHDRAWAL_REASON in line
    fields = dict(row.split("\t", 1) for row in held.stdout.strip().splitlines())
    assert (fields["status"], fields["action"]) == ("held", "withdraw")
    assert WITHDRAWAL_REASON in fields["reason"] and fields["id"]

    as_json = freelancer.run("earnings", "withdraw", "--amount", "50", "--json")
    refused_with(as_json, "error: held for review: ")
    hold = as_json.json()  # exactly one JSON document: the hold
    assert (hold["status"], hold["action"]) == ("held", "withdraw") and hold["id"] != fields["id"]
    assert available(freelancer) == before  # nothing paid while held


@pytest.fixture
def strict_pair(strict_server: LiveServer, tmp_path: Path) -> tuple[User, User]:
    return new_user(strict_server, tmp_path, "client"), new_user(strict_server, tmp_path)


def test_a_blocked_withdrawal_exits_4_with_the_reason(strict_pair: tuple[User, User]) -> None:
    client, freelancer = strict_pair
    earned(client, freelancer)
    freelancer.ok("earnings", "withdraw", "--amount", "100")
    before = available(freelancer)
    blocked = freelancer.run("earnings", "withdraw", "--amount", "50")
    line = refused_with(blocked, "error: ")
    assert WITHDRAWAL_REASON in line and "held for review" not in line
    assert blocked.stdout == ""
    assert available(freelancer) == before


def test_a_blocked_registration_exits_4_and_signs_nobody_in(
    strict_pair: tuple[User, User],
) -> None:
    _, first = strict_pair
    second = first.run(  # a second account from the same install (JIEDAN_HOME)
        *("auth", "register", "--email", f"x-{first.email}", "--name", "小号"),
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    line = refused_with(second, "error: ")
    assert "accounts used on this device" in line
    status: dict[str, Any] = first.ok("auth", "status", "--json").json()
    assert status["email"] == first.email  # still the first account, signed in
