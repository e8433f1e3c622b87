"""`jiedan admin queue|release|block|audit` against the real server with the risk engine on
and the real rules at a low limit (a second quote within a minute is held): a reviewer sees
the held quote beside verifications, releases it once (a second release is exit 4), blocks
another with a reason, and reads what happened in the audit log as an admin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import User
from tests.cli.test_verify import staff_user
from tests.sync.conftest import LiveServer

BID = {"amount_fen": 80_000, "days": 5, "message": "三天出初稿"}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("server") / "server.db"
    server = LiveServer(f"sqlite:///{path}", risk_record=True, risk_limits="bids=1")
    yield server
    server.stop()


def held_bid(client: User, freelancer: User) -> dict[str, str]:
    """The freelancer's second quote within a minute, held (202): {hold id, order id}."""
    orders = [client.post_order(), client.post_order()]
    freelancer.api("POST", f"/v1/orders/{orders[0]['id']}/bids", **BID)
    answer = httpx.post(
        f"{freelancer.server.url}/v1/orders/{orders[1]['id']}/bids",
        json=BID,
        headers={"Authorization": f"Bearer {freelancer.token}"},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    return {"id": answer.json()["id"], "order_id": orders[1]["id"]}


def test_a_reviewer_works_the_queue(client: User, freelancer: User, tmp_path: Path) -> None:
    first, second = held_bid(client, freelancer), held_bid(client, freelancer)
    reviewer = staff_user(freelancer, tmp_path, "reviewer")
    queue = reviewer.ok("admin", "queue", "--json").json()
    held = {item["id"]: item for item in queue if item["kind"] == "hold"}
    assert {first["id"], second["id"]} <= set(held)
    item = held[first["id"]]
    assert item["user_id"] == freelancer.id and item["action"] == "bid"
    assert [f["name"] for f in item["fired"]] == ["bid_velocity"]

    released = reviewer.ok("admin", "release", first["id"], "--json").json()
    assert released["status"] == "released"
    again = reviewer.run("admin", "release", first["id"])
    assert again.code == 4 and again.stderr.startswith("error:")
    bids = client.api("GET", f"/v1/orders/{first['order_id']}/bids")
    assert [b["freelancer_id"] for b in bids] == [freelancer.id]  # applied once

    assert reviewer.run("admin", "block", second["id"], "--reason", " ").code == 2
    blocked = reviewer.ok("admin", "block", second["id"], "--reason", "刷单嫌疑", "--json").json()
    assert (blocked["status"], blocked["decision_reason"]) == ("blocked", "刷单嫌疑")
    assert client.api("GET", f"/v1/orders/{second['order_id']}/bids") == []
    assert freelancer.run("admin", "release", second["id"]).code == 4  # no reviewer

    admin = staff_user(freelancer, tmp_path, "admin")
    log = admin.ok("admin", "audit", "--user", freelancer.id, "--json").json()
    actions = [entry["action"] for entry in log]
    assert "risk.held" in actions and "risk.hold_released" in actions
    only = admin.ok("admin", "audit", "--action", "risk.hold_*", "--json").json()
    assert {e["action"] for e in only} == {"risk.hold_released", "risk.hold_blocked"}
    since = admin.ok("admin", "audit", "--since", "2999-01-01", "--json").json()
    assert since == []
    assert admin.run("admin", "audit", "--since", "yesterday").code == 2


def test_a_held_offline_bid_waits_then_syncs_when_released(
    client: User, freelancer: User, tmp_path: Path
) -> None:
    orders = [client.post_order(), client.post_order()]
    freelancer.ok("sync")
    freelancer.ok("bid", "create", orders[0]["id"], "--amount", "800", "--days", "5")
    held = freelancer.run("bid", "create", orders[1]["id"], "--amount", "800", "--days", "5")
    assert held.code == 4, str(held)
    assert (
        held.stderr.startswith("error: held for review: ") and "quotes in a minute" in held.stderr
    )
    status = freelancer.ok("sync", "status", "--json").json()
    assert status["pending"] == 0 and status["rejected"] == []
    (item,) = status["held"]
    assert item["kind"] == "place_bid" and "quotes in a minute" in item["reason"]
    plain = freelancer.ok("sync", "status")  # listed as the rejected ones are
    assert "held\t1\n" in plain.stdout and "rejected\t0\n" in plain.stdout
    (row,) = [line.split("\t") for line in plain.stdout.splitlines() if item["op_id"] in line]
    assert row[1] == "place_bid" and "quotes in a minute" in row[3]
    assert "held for review" in plain.stderr
    assert freelancer.run("sync").code == 0  # what is left is held: the server answered

    reviewer = staff_user(freelancer, tmp_path, "reviewer")
    queue = reviewer.ok("admin", "queue", "--json").json()
    (hold,) = [h for h in queue if h["kind"] == "hold" and h["user_id"] == freelancer.id]
    reviewer.ok("admin", "release", hold["id"])
    freelancer.ok("sync")
    after = freelancer.ok("sync", "status", "--json").json()
    assert after["held"] == [] and after["rejected"] == []
    bids = client.api("GET", f"/v1/orders/{orders[1]['id']}/bids")
    assert [b["freelancer_id"] for b in bids] == [freelancer.id]
