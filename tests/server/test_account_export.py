"""GET /v1/me/export (security.md, privacy): everything about the caller after a whole order —
the account, profile, the work on both sides, the money — and nothing secret (no password
hash, token, TOTP seed) and nothing only someone else's: a review about the caller stays out
while it is blind."""

from __future__ import annotations

from typing import Any

from tests.server.conftest import Server
from tests.server.escrow_flow import act, completed, ok


def export(server: Server, user: dict[str, Any]) -> dict[str, Any]:
    return ok(server.request("GET", "/v1/me/export", user["token"]))


def test_an_export_holds_the_whole_of_a_users_marketplace_life(server: Server) -> None:
    client, freelancer, order = completed(server, amount_fen=80_000)
    ok(act(server, client, order["id"], "messages", text="收到，谢谢", to=freelancer["id"]), 201)
    ok(act(server, freelancer, order["id"], "reviews", stars=5, text="爽快"), 201)

    mine = export(server, freelancer)
    assert mine["format"] == "jiedan-account-export/1"
    assert mine["account"]["email"] == freelancer["email"]
    assert mine["profile"]["user_id"] == freelancer["id"]
    assert [b["order_id"] for b in mine["bids"]] == [order["id"]]
    assert mine["orders_posted"] == []
    assert [m["text"] for m in mine["messages"]] == ["收到，谢谢"]
    assert [d["order_id"] for d in mine["deliveries"]] == [order["id"]]
    assert [r["stars"] for r in mine["reviews_written"]] == [5]
    assert sum(e["amount_fen"] for e in mine["ledger"]) == 80_000
    assert mine["points"]["balance"] > 0 and mine["points_history"]
    assert mine["fee_plan"]["plan"] == "commission"  # the default: never chosen
    assert mine["sessions"] and all("token" not in s for s in mine["sessions"])
    assert {e["action"] for e in mine["audit"]} >= {"account.registered"}

    theirs = export(server, client)
    assert [o["id"] for o in theirs["orders_posted"]] == [order["id"]]
    assert theirs["bids"] == [] and theirs["reviews_received"] == []  # still blind
    text = str(theirs) + str(mine)
    for secret in (client["token"], freelancer["token"], "argon2", "password_hash"):
        assert secret not in text

    ok(act(server, client, order["id"], "reviews", stars=4, text="准时"), 201)  # both wrote
    assert [r["stars"] for r in export(server, client)["reviews_received"]] == [5]


def test_another_users_export_holds_none_of_it(server: Server) -> None:
    client, freelancer, order = completed(server)
    stranger = server.register("both")
    text = str(export(server, stranger))
    for private in (order["id"], client["email"], freelancer["email"], freelancer["id"]):
        assert private not in text


def test_export_needs_a_sign_in(server: Server) -> None:
    answer = server.request("GET", "/v1/me/export")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
