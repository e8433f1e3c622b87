"""A command's local check reads the replica, which may lag what the other party just did.
Reproduced by hand: right after the client awarded and funded, `deliver` told the awarded
freelancer "only the awarded freelancer delivers this order" and `client accept` said the
order had no delivery. Now a refusal made on the local copy syncs and checks again when the
server is reachable, and says how old the copy is when it is not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.conftest import User, funded_order


@pytest.fixture
def funded_behind_my_back(client: User, freelancer: User) -> dict[str, Any]:
    """An order awarded to `freelancer` and funded, which their replica last saw open."""
    return funded_order(client, freelancer, synced=False)


def test_deliver_right_after_the_funding_syncs_and_succeeds(
    freelancer: User, client: User, funded_behind_my_back: dict[str, Any]
) -> None:
    order_id = funded_behind_my_back["id"]
    done = freelancer.ok("deliver", order_id, "--note", "初稿", "--json")
    assert done.json()["sync_state"] == "synced", str(done)
    assert client.api("GET", f"/v1/orders/{order_id}")["status"] == "delivered"


def test_accept_right_after_the_delivery_syncs_and_succeeds(
    freelancer: User, client: User, funded_behind_my_back: dict[str, Any]
) -> None:
    order_id = funded_behind_my_back["id"]
    client.ok("sync")  # the client's copy: funded, nothing delivered yet
    freelancer.ok("deliver", order_id, "--note", "终稿")
    done = client.ok("client", "accept", order_id, "--json")
    assert client.api("GET", f"/v1/orders/{order_id}")["status"] == "completed", str(done)


def test_offline_the_refusal_says_the_copy_may_be_old(
    freelancer: User, funded_behind_my_back: dict[str, Any]
) -> None:
    done = freelancer.unreachable("deliver", funded_behind_my_back["id"], "--note", "x")
    assert done.code == 4, str(done)
    assert "by the local copy, last synced just now; not synced now:" in done.stderr
    assert done.stderr.count("\n") == 1
    assert freelancer.ok("sync", "status", "--json").json()["pending"] == 0
