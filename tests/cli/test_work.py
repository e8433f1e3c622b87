"""`jiedan deliver` and `jiedan messages`: files recorded by name, size and SHA-256 computed
locally (a missing file is a usage error), and the per-order conversation."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import User, funded_order


@pytest.fixture
def awarded(client: User, freelancer: User) -> dict[str, Any]:
    """An order awarded to `freelancer` and funded (in_progress), synced into their replica."""
    return funded_order(client, freelancer)


@pytest.mark.subprocess(reason="smoke: the real process")
def test_deliver_records_name_size_and_sha256_and_uploads_the_content(
    freelancer: User, client: User, awarded: dict[str, Any], tmp_path: Path
) -> None:
    artwork = tmp_path / "设计稿-v1.png"
    artwork.write_bytes(b"\x89PNG" + bytes(range(256)) * 300)
    notes = tmp_path / "notes.txt"
    notes.write_text("切图说明")
    done = freelancer.ok(
        "deliver",
        awarded["id"],
        "--note",
        "初稿见附件",
        "--file",
        str(artwork),
        "--file",
        str(notes),
        "--json",
    )
    delivery = done.json()
    assert delivery["sync_state"] == "synced" and delivery["reject_reason"] is None
    assert delivery["files"] == [
        {
            "name": "设计稿-v1.png",
            "size": artwork.stat().st_size,
            "sha256": hashlib.sha256(artwork.read_bytes()).hexdigest(),
            "uploaded": True,  # its content too (tests/cli/test_deliveries.py)
        },
        {
            "name": "notes.txt",
            "size": len("切图说明".encode()),
            "sha256": hashlib.sha256("切图说明".encode()).hexdigest(),
            "uploaded": True,
        },
    ]
    on_server = client.api("GET", f"/v1/orders/{awarded['id']}/deliveries")
    assert [d["id"] for d in on_server] == [delivery["id"]]
    assert on_server[0]["files"] == delivery["files"]
    assert client.api("GET", f"/v1/orders/{awarded['id']}")["status"] == "delivered"


def test_deliver_offline_then_sync(freelancer: User, awarded: dict[str, Any]) -> None:
    done = freelancer.unreachable("deliver", awarded["id"], "--note", "火车上交付", "--json")
    assert done.code == 0, str(done)
    assert done.json()["sync_state"] == "pending"
    assert freelancer.ok("sync", "--json").json()["pushed"] == 1


def test_deliver_a_missing_file_exits_2(freelancer: User, awarded: dict[str, Any]) -> None:
    done = freelancer.run("deliver", awarded["id"], "--note", "x", "--file", "/no/such/file")
    assert done.code == 2, str(done)
    assert done.stderr.startswith("error: --file: /no/such/file")
    assert freelancer.ok("sync", "status", "--json").json()["pending"] == 0


def test_deliver_needs_a_note(freelancer: User, awarded: dict[str, Any]) -> None:
    assert freelancer.run("deliver", awarded["id"]).code == 2


def test_deliver_on_an_order_not_mine_is_refused(freelancer: User, client: User) -> None:
    order = client.post_order()
    freelancer.ok("sync")
    done = freelancer.run("deliver", order["id"], "--note", "x")
    assert done.code == 4, str(done)


def test_messages_send_and_list(freelancer: User, client: User) -> None:
    order = client.post_order()
    freelancer.ok("sync")
    freelancer.ok("bid", "create", order["id"], "--amount", "900", "--days", "3")
    sent = freelancer.ok(
        "messages", "send", order["id"], "--text", "您好，请问预算可以谈吗？", "--json"
    )
    message = sent.json()
    assert message["sync_state"] == "synced"
    assert (message["sender_id"], message["recipient_id"]) == (freelancer.id, client.id)
    offline = freelancer.ok(
        "messages", "send", order["id"], "--text", "补充一句", "--offline", "--json"
    ).json()
    assert offline["sync_state"] == "pending"

    listed = freelancer.ok("messages", "list", order["id"], "--json").json()
    assert [(m["text"], m["sync_state"]) for m in listed] == [
        ("您好，请问预算可以谈吗？", "synced"),
        ("补充一句", "pending"),
    ]
    for field in ("id", "order_id", "sender_id", "recipient_id", "text", "created_at"):
        assert field in listed[0]
    rows = freelancer.ok("messages", "list", order["id"]).stdout.splitlines()
    assert len(rows) == 2 and "\t" in rows[0]
    on_server = client.api("GET", f"/v1/orders/{order['id']}/messages")
    assert [m["text"] for m in on_server] == ["您好，请问预算可以谈吗？"]


def test_messages_of_an_unknown_order_exit_3(freelancer: User) -> None:
    done = freelancer.run("messages", "list", "00000000-0000-7000-8000-000000000000")
    assert done.code == 3


def test_a_losing_bidder_holds_the_order_closed_and_may_not_write_about_it(
    freelancer: User, client: User, make_user: Any
) -> None:
    """After the award the replica of a bidder who lost holds the order as closed to them
    (no winner), shows it so, and refuses a message about it offline, as the server would."""
    winner = make_user("freelancer")
    order = client.post_order()
    for bidder in (freelancer, winner):
        bidder.ok("sync")
    freelancer.ok("bid", "create", order["id"], "--amount", "2500", "--days", "5")
    won = winner.ok("bid", "create", order["id"], "--amount", "3000", "--days", "7", "--json")
    client.api("POST", f"/v1/orders/{order['id']}/award", bid_id=won.json()["id"])
    freelancer.ok("sync")

    held = freelancer.ok("orders", "show", order["id"], "--json").json()
    assert held["closed_to_me"] is True and held["status"] == "awarded"
    assert (held["freelancer_id"], held["awarded_bid_id"]) == (None, None)
    shown = freelancer.ok("orders", "show", order["id"]).stdout
    assert "awarded (closed to you)" in shown and winner.id not in shown
    refused = freelancer.run("messages", "send", order["id"], "--text", "还有机会吗?", "--offline")
    assert refused.code == 4 and "thread is closed" in refused.stderr
    assert freelancer.ok("messages", "list", order["id"], "--json").json() == []
