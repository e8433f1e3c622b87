"""The clients' first-order coupon (新客首单券) from the command line, against a real server
with it on at ¥10: `jiedan account status` says one waits, `jiedan client fund` says it was
used on the first payment (stderr; `first_order_coupon` in --json) and nothing on the next."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.conftest import User
from tests.cli.test_client_flow import post
from tests.sync.conftest import LiveServer


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("server") / "server.db"
    server = LiveServer(f"sqlite:///{path}", first_order_coupon_fen=1_000)
    yield server
    server.stop()


def awarded(client: User, freelancer: User, amount: str = "600") -> str:
    order = post(client)
    freelancer.ok("sync")
    bid = freelancer.ok("bid", "create", order["id"], "--amount", amount, "--days", "2", "--json")
    client.ok("sync")
    client.ok("client", "award", order["id"], bid.json()["id"])
    return str(order["id"])


def test_the_coupon_waits_is_used_on_the_first_payment_and_said(
    client: User, freelancer: User
) -> None:
    waiting = client.ok("account", "status", "--json").json()["first_order_coupon"]
    assert (waiting["status"], waiting["amount_fen"]) == ("available", 1_000)
    table = client.ok("account", "status").stdout
    assert "available: up to ¥10.00 off your first payment (at most 50% of it)" in table

    first = awarded(client, freelancer)
    paid = client.ok("client", "fund", first)
    assert "first-order coupon (新客首单券) used: ¥10.00 off your first payment" in paid.stderr
    assert client.api("GET", f"/v1/orders/{first}")["status"] == "in_progress"
    used = client.ok("account", "status", "--json").json()["first_order_coupon"]
    assert (used["status"], used["order_id"]) == ("applied", first)

    second = awarded(client, freelancer)
    again = client.ok("client", "fund", second, "--json")
    assert again.json()["status"] == "in_progress" and again.json()["first_order_coupon"] is None
    assert "first-order coupon" not in again.stderr


def test_fund_json_carries_the_coupon(client: User, freelancer: User) -> None:
    order = awarded(client, freelancer, amount="15")
    shown = client.ok("client", "fund", order, "--json").json()
    coupon = shown["first_order_coupon"]
    assert (coupon["status"], coupon["amount_fen"], coupon["order_id"]) == ("applied", 750, order)
    assert shown["id"] == order and shown["sync_state"] == "synced"
