"""`jiedan points redeem coupon|cash --points N` against the real server: cash is paid to
earnings once (a retry or a replay of the queued operation spends nothing more), an offline
redemption waits in the outbox and counts against the points left, more than one has is
refused (exit 4), a bad kind or amount is a usage error (exit 2)."""

from __future__ import annotations

from tests.cli.conftest import User, funded_order

SHA = "ab" * 32


def earn_300_points(client: User, freelancer: User) -> None:
    order = funded_order(client, freelancer)  # ¥3,000: 300 points each when completed
    files = [{"name": "稿.pdf", "size": 10, "sha256": SHA}]
    freelancer.api("POST", f"/v1/orders/{order['id']}/deliveries", note="完成", files=files)
    client.api("POST", f"/v1/orders/{order['id']}/accept")
    freelancer.ok("sync")


def test_points_become_cash_and_a_coupon_once(client: User, freelancer: User) -> None:
    earn_300_points(client, freelancer)
    before = freelancer.ok("earnings", "summary", "--json").json()["available_fen"]
    cash = freelancer.ok("points", "redeem", "cash", "--points", "150", "--json").json()
    assert (cash["kind"], cash["points"], cash["value_fen"], cash["sync_state"]) == (
        "cash", 150, 150, "synced",
    )  # fmt: skip
    freelancer.ok("sync")
    assert freelancer.ok("earnings", "summary", "--json").json()["available_fen"] == before + 150
    assert freelancer.ok("points", "balance", "--json").json()["balance"] == 150

    queued = freelancer.ok("points", "redeem", "coupon", "--points", "100", "--offline", "--json")
    assert queued.json()["sync_state"] == "pending"
    too_much = freelancer.run("points", "redeem", "cash", "--points", "100", "--offline")
    assert too_much.code == 4 and "50 points to redeem" in too_much.stderr
    freelancer.ok("sync")
    assert freelancer.ok("points", "balance", "--json").json()["balance"] == 50
    freelancer.ok("sync")  # nothing queued is sent twice
    assert freelancer.ok("points", "balance", "--json").json()["balance"] == 50


def test_bad_kinds_and_amounts_are_usage_errors(freelancer: User) -> None:
    assert freelancer.run("points", "redeem", "gold", "--points", "100").code == 2
    small = freelancer.run("points", "redeem", "cash", "--points", "50")
    assert small.code == 2 and "points" in small.stderr
    none = freelancer.run("points", "redeem", "cash", "--points", "100", "--offline")
    assert none.code == 4 and none.stderr.startswith("error: you have 0 points")
