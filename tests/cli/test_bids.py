"""`jiedan bid …`: local-first bidding through the command line — the offline bid that shows
pending and syncs, the server's refusal (exit 4, still printed as rejected), bad amounts
(exit 2), and `bid create --from-file` with its per-line results and exit rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli.conftest import User


def test_offline_bid_is_pending_until_sync_then_synced(
    freelancer: User, client: User, order: dict[str, Any]
) -> None:
    created = freelancer.ok(
        "bid",
        "create",
        order["id"],
        "--amount",
        "3000.5",
        "--days",
        "7",
        "--message",
        "可以做",
        "--offline",
        "--json",
    )
    bid = created.json()
    assert bid["sync_state"] == "pending" and bid["status"] == "submitted"
    assert bid["amount_fen"] == 300_050 and bid["order_id"] == order["id"]
    for field in ("id", "freelancer_id", "days", "message", "reject_reason", "created_at"):
        assert field in bid
    assert "saved locally" in created.stderr
    # nothing reached the server
    assert client.api("GET", f"/v1/orders/{order['id']}/bids") == []
    listed = freelancer.ok("bid", "list", "--json").json()
    assert [(b["id"], b["sync_state"]) for b in listed] == [(bid["id"], "pending")]
    assert freelancer.ok("sync", "status", "--json").json()["pending"] == 1

    report = freelancer.ok("sync", "--json").json()
    assert report == {"pushed": 1, "rejected": 0, "pulled": report["pulled"], "pending": 0}
    listed = freelancer.ok("bid", "list", "--json").json()
    assert [(b["id"], b["sync_state"]) for b in listed] == [(bid["id"], "synced")]
    on_server = client.api("GET", f"/v1/orders/{order['id']}/bids")
    assert [(b["id"], b["amount_fen"]) for b in on_server] == [(bid["id"], 300_050)]


def test_a_bid_when_the_server_is_unreachable_exits_0_and_stays_pending(
    freelancer: User, order: dict[str, Any]
) -> None:
    done = freelancer.unreachable(
        "bid", "create", order["id"], "--amount", "800", "--days", "3", "--json"
    )
    assert done.code == 0, str(done)
    assert done.json()["sync_state"] == "pending"
    assert "queued for sync" in done.stderr
    freelancer.ok("sync")
    assert freelancer.ok("bid", "list", "--json").json()[0]["sync_state"] == "synced"


@pytest.mark.subprocess(reason="smoke: the real process")
def test_online_bid_is_synced_at_once(freelancer: User, order: dict[str, Any]) -> None:
    # 7 days: no dispute-risk warning for a website (half of a typical 14)
    bid = freelancer.ok("bid", "create", order["id"], "--amount", "2000", "--days", "7", "--json")
    assert bid.json()["sync_state"] == "synced"
    assert bid.json()["warnings"] == []
    assert bid.stderr == ""


@pytest.mark.subprocess(reason="smoke: the real process")
def test_a_bid_the_server_refuses_exits_4_and_is_still_printed(
    freelancer: User, client: User, order: dict[str, Any]
) -> None:
    client.api("POST", f"/v1/orders/{order['id']}/cancel")  # the replica has not seen it yet
    done = freelancer.run("bid", "create", order["id"], "--amount", "800", "--days", "3", "--json")
    assert done.code == 4, str(done)
    bid = done.json()
    assert bid["sync_state"] == "rejected" and bid["status"] == "rejected"
    assert bid["reject_reason"]
    assert done.stderr.strip().splitlines()[-1] == f"error: {bid['reject_reason']}"
    status = freelancer.ok("sync", "status", "--json").json()
    assert status["pending"] == 0
    assert [r["kind"] for r in status["rejected"]] == ["place_bid"]
    assert {"op_id", "kind", "reason"} <= set(status["rejected"][0])


def test_a_bid_refused_locally_exits_4_without_the_network(
    freelancer: User, order: dict[str, Any]
) -> None:
    freelancer.ok("bid", "create", order["id"], "--amount", "800", "--days", "3")
    again = freelancer.unreachable("bid", "create", order["id"], "--amount", "900", "--days", "3")
    assert again.code == 4, str(again)
    assert again.stderr.startswith("error: you already have a live bid")


@pytest.mark.parametrize("amount", ["0", "-5", "12.345", "abc", "1e3", "1,2", "12,50", ",12"])
def test_a_bad_amount_exits_2_and_queues_nothing(
    freelancer: User, order: dict[str, Any], amount: str
) -> None:
    done = freelancer.run("bid", "create", order["id"], "--amount", amount, "--days", "3")
    assert done.code == 2, str(done)
    assert done.stdout == ""
    assert freelancer.ok("sync", "status", "--json").json()["pending"] == 0


def test_amounts_and_days_as_people_type_them(freelancer: User, order: dict[str, Any]) -> None:
    """A Chinese input method types full-width digits and commas; the ¥ field invites "¥"."""
    created = freelancer.ok(
        "bid",
        "create",
        order["id"],
        "--amount",
        "¥１，２００",
        "--days",
        "１０",
        "--offline",
        "--json",
    ).json()
    assert (created["amount_fen"], created["days"]) == (120_000, 10)


@pytest.mark.parametrize("days", ["0", "366", "1.5", "ten"])
def test_bad_days_exit_2_in_one_style(freelancer: User, order: dict[str, Any], days: str) -> None:
    done = freelancer.run("bid", "create", order["id"], "--amount", "800", "--days", days)
    assert done.code == 2, str(done)
    assert done.stderr.strip() == "error: days: a whole number from 1 to 365"
    assert freelancer.ok("sync", "status", "--json").json()["pending"] == 0


def test_missing_amount_or_days_is_a_usage_error(freelancer: User, order: dict[str, Any]) -> None:
    assert freelancer.run("bid", "create", order["id"], "--days", "3").code == 2
    assert freelancer.run("bid", "create", order["id"], "--amount", "8").code == 2
    assert freelancer.run("bid", "create", "--amount", "8", "--days", "3").code == 2


def test_update_and_withdraw(freelancer: User, client: User, order: dict[str, Any]) -> None:
    bid = freelancer.ok(
        "bid", "create", order["id"], "--amount", "800", "--days", "3", "--json"
    ).json()
    updated = freelancer.ok(
        "bid", "update", bid["id"], "--amount", "750", "--message", "便宜一点", "--json"
    ).json()
    assert (updated["amount_fen"], updated["message"], updated["sync_state"]) == (
        75_000,
        "便宜一点",
        "synced",
    )
    assert client.api("GET", f"/v1/orders/{order['id']}/bids")[0]["amount_fen"] == 75_000
    assert freelancer.run("bid", "update", bid["id"], "--amount", "0").code == 2
    withdrawn = freelancer.ok("bid", "withdraw", bid["id"], "--json").json()
    assert withdrawn["status"] == "withdrawn" and withdrawn["sync_state"] == "synced"
    listed = freelancer.ok("bid", "list", "--status", "withdrawn", "--json").json()
    assert [b["id"] for b in listed] == [bid["id"]]
    assert freelancer.run("bid", "withdraw", "00000000-0000-7000-8000-000000000000").code == 3


def test_bid_list_without_a_terminal_is_tsv(freelancer: User, order: dict[str, Any]) -> None:
    freelancer.ok("bid", "create", order["id"], "--amount", "800", "--days", "3")
    rows = freelancer.ok("bid", "list", "--order", order["id"]).stdout.splitlines()
    assert len(rows) == 1 and rows[0].count("\t") >= 5 and "800.00" in rows[0]


# ---- --from-file -----------------------------------------------------------------------------


def lines(*entries: Any) -> str:
    return "".join(
        (e if isinstance(e, str) else json.dumps(e, ensure_ascii=False)) + "\n" for e in entries
    )


@pytest.fixture
def three_orders(client: User, freelancer: User) -> list[dict[str, Any]]:
    posted = [client.post_order(title=f"批量投标订单{n}") for n in range(3)]
    freelancer.ok("sync")
    return posted


@pytest.mark.subprocess(reason="smoke: the real process")
def test_from_file_all_good_exits_0_with_one_result_per_line(
    freelancer: User, three_orders: list[dict[str, Any]], tmp_path: Any
) -> None:
    source = tmp_path / "bids.jsonl"
    source.write_text(
        lines(
            *(
                {"order_id": o["id"], "amount": "1000.5", "days": 5, "message": "批量"}
                for o in three_orders
            ),
        )
    )
    done = freelancer.run("bid", "create", "--from-file", str(source), "--json")
    assert done.code == 0, str(done)
    results = done.json()
    assert [r["line"] for r in results] == [1, 2, 3]
    assert all(r["ok"] and r["sync_state"] == "synced" for r in results)
    assert {r["bid"]["order_id"] for r in results} == {o["id"] for o in three_orders}
    assert all(r["bid"]["amount_fen"] == 100_050 for r in results)


def test_from_file_a_bad_line_is_reported_by_number_and_others_go_on(
    freelancer: User, client: User, three_orders: list[dict[str, Any]]
) -> None:
    good, refused, spare = three_orders
    client.api("POST", f"/v1/orders/{refused['id']}/cancel")  # the server will refuse it
    text = lines(
        {"order_id": good["id"], "amount": 800, "days": 3},
        "{not json",
        {"order_id": spare["id"], "amount": "8.123", "days": 3},
        "",
        {"order_id": refused["id"], "amount": "800", "days": 3, "message": "晚了"},
    )
    done = freelancer.run("bid", "create", "--from-file", "-", "--json", input=text)
    assert done.code == 2, str(done)  # a malformed line wins over a refusal
    results = {r["line"]: r for r in done.json()}
    assert sorted(results) == [1, 2, 3, 5]
    assert results[1]["ok"] and results[1]["sync_state"] == "synced"
    assert not results[2]["ok"] and "JSON" in results[2]["error"]
    assert not results[3]["ok"] and "8.123" in results[3]["error"]
    assert not results[5]["ok"] and results[5]["sync_state"] == "rejected"
    assert results[5]["bid"]["status"] == "rejected"
    assert "error: line 2:" in done.stderr and "error: line 3:" in done.stderr
    assert "error: line 5:" in done.stderr


def test_from_file_only_refusals_exit_4(
    freelancer: User, client: User, three_orders: list[dict[str, Any]]
) -> None:
    good, refused, _spare = three_orders
    client.api("POST", f"/v1/orders/{refused['id']}/cancel")
    text = lines(
        {"order_id": good["id"], "amount": 800, "days": 3},
        {"order_id": refused["id"], "amount": 800, "days": 3},
    )
    done = freelancer.run("bid", "create", "--from-file", "-", input=text)
    assert done.code == 4, str(done)
    rows = [row.split("\t") for row in done.stdout.splitlines()]
    assert [row[0] for row in rows] == ["1", "2"]  # TSV: one result per line
    assert rows[0][2] == "true" and rows[1][2] == "false"


def test_from_file_offline_queues_every_line(
    freelancer: User, three_orders: list[dict[str, Any]]
) -> None:
    text = lines(*({"order_id": o["id"], "amount": 800, "days": 3} for o in three_orders))
    done = freelancer.run("bid", "create", "--from-file", "-", "--offline", "--json", input=text)
    assert done.code == 0, str(done)
    assert [r["sync_state"] for r in done.json()] == ["pending"] * 3
    assert freelancer.ok("sync", "--json").json()["pushed"] == 3


def test_from_file_with_an_order_id_is_a_usage_error(freelancer: User) -> None:
    assert freelancer.run("bid", "create", "x", "--from-file", "-", input="").code == 2
    assert freelancer.run("bid", "create", "--from-file", "/no/such/file").code == 2


def test_bid_list_with_an_unknown_status_is_a_usage_error(freelancer: User) -> None:
    # as `orders list --status` is; it said "no bids match these filters", exit 0
    done = freelancer.run("bid", "list", "--status", "won", "--json")
    assert done.code == 2 and done.stdout == "", str(done)
    said = "error: status: 'won' is not one of submitted, withdrawn, awarded, declined, rejected\n"
    assert done.stderr == said
    assert freelancer.ok("bid", "list", "--status", "Withdrawn", "--json").json() == []
