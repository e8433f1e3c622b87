"""Earnings of the signed-in user: the summary, ledger lines, withdrawals (with a TOTP step-up
when 2FA is on, never overdrawn), points and tier — and the whole flow end to end over HTTP."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from jiedan_cli.domain.errors import Conflict, Refused
from jiedan_cli.server.db.tables import audit_log, payouts
from jiedan_cli.server.services import points
from tests.server.conftest import Server
from tests.server.escrow_flow import (
    act,
    balances,
    completed,
    deliver,
    delivered,
    funded,
    ok,
    summary,
)
from tests.server.market import award as award_bid
from tests.server.market import place_bid, post_order


def withdraw(server: Server, user: dict[str, Any], amount_fen: int, **extra: Any) -> Any:
    return server.request(
        "POST", "/v1/earnings/withdraw", user["token"], json={"amount_fen": amount_fen, **extra}
    )


def turn_on_2fa(server: Server, user: dict[str, Any]) -> str:
    secret = ok(
        server.request(
            "POST", "/v1/auth/2fa/enable", user["token"], json={"password": "correct horse 42"}
        )
    )["secret"]
    code = pyotp.TOTP(secret).at(server.clock.now)
    ok(server.request("POST", "/v1/auth/2fa/confirm", user["token"], json={"otp": code}))
    server.clock.advance(seconds=30)  # the confirming code is spent
    return str(secret)


def test_the_whole_flow_over_http_ends_in_earnings_and_points(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, title="家里水管维修", category="repair")
    bid = place_bid(server, freelancer, order["id"], amount_fen=60_000)
    assert award_bid(server, client, order["id"], bid["id"])["status"] == "awarded"
    assert ok(act(server, client, order["id"], "fund"))["order"]["status"] == "in_progress"
    assert summary(server, freelancer)["pending_fen"] == 60_000
    deliver(server, freelancer, order["id"])
    assert ok(act(server, client, order["id"], "accept"))["status"] == "completed"
    assert summary(server, freelancer) == {
        "available_fen": 60_000,
        "pending_fen": 0,
        "lifetime_fen": 60_000,
        "fees_fen": 0,  # the first order is fee-free
        "currency": "CNY",
    }
    points = ok(server.request("GET", "/v1/points", freelancer["token"]))
    assert points["balance"] == 60
    assert (points["tier"], points["tier_label"], points["next_tier"]) == (
        "regular",
        "普通",
        "silver",
    )
    assert points["progress"] == {
        "volume_fen": 60_000,
        "completed_orders": 1,
        "next_min_volume_fen": 1_000_000,
        "next_min_orders": 5,
    }
    assert points["progress_words"] == "¥9,400 and 4 more orders to 银牌"
    assert ok(server.request("GET", "/v1/points", client["token"]))["balance"] == 60


def test_the_summary_counts_fees_and_pending_escrow(server: Server) -> None:
    client, freelancer, _first = completed(server)
    from tests.server.escrow_flow import awarded

    _c, _f, second = awarded(server, client=client, freelancer=freelancer, amount_fen=50_000)
    ok(act(server, client, second["id"], "fund"))
    deliver(server, freelancer, second["id"])
    ok(act(server, client, second["id"], "accept"))
    _c, _f, third = awarded(server, client=client, freelancer=freelancer, amount_fen=20_000)
    ok(act(server, client, third["id"], "fund"))
    assert summary(server, freelancer) == {
        "available_fen": 80_000 + 45_000,
        "pending_fen": 20_000,
        "lifetime_fen": 125_000,
        "fees_fen": 5_000,
        "currency": "CNY",
    }
    assert summary(server, client)["available_fen"] == 0


def test_ledger_lines_are_signed_and_filtered_by_date(server: Server) -> None:
    _client, freelancer, _order = completed(server)
    server.clock.advance(days=2)
    ok(withdraw(server, freelancer, 30_000), 201)
    lines = ok_list(server, freelancer, "/v1/earnings/ledger")
    assert [(e["kind"], e["amount_fen"]) for e in lines] == [
        ("release", 80_000),
        ("withdraw", -30_000),
    ]
    recent = ok_list(server, freelancer, "/v1/earnings/ledger?since=2026-11-27")
    assert [e["kind"] for e in recent] == ["withdraw"]
    assert (
        server.request(
            "GET", "/v1/earnings/ledger?since=yesterday", freelancer["token"]
        ).status_code
        == 422
    )


def ok_list(server: Server, user: dict[str, Any], path: str) -> list[dict[str, Any]]:
    response = server.request("GET", path, user["token"])
    assert response.status_code == 200, response.text
    return list(response.json())


def test_each_user_sees_only_their_own_money(sqlite_server: Server) -> None:
    client, _freelancer, _order = completed(sqlite_server)
    other = sqlite_server.register("freelancer")
    assert summary(sqlite_server, other)["available_fen"] == 0
    assert ok_list(sqlite_server, other, "/v1/earnings/ledger") == []
    assert ok_list(sqlite_server, client, "/v1/earnings/ledger") == []
    assert sqlite_server.request("GET", "/v1/earnings/summary").status_code == 401


def test_a_withdrawal_pays_out_through_the_provider(server: Server) -> None:
    _client, freelancer, _order = completed(server)
    payout = ok(withdraw(server, freelancer, 50_000), 201)
    assert payout["status"] == "paid" and payout["provider"] == "sandbox"
    assert payout["provider_ref"].startswith("po_sbx_")
    assert payout["available_fen"] == 30_000
    assert balances(server)["external:sandbox"] == -80_000 + 50_000
    with server.db.read() as conn:
        assert conn.execute(select(payouts.c.amount_fen)).scalars().all() == [50_000]
        audited = conn.execute(
            select(audit_log.c.target).where(audit_log.c.action == "earnings.withdraw")
        ).scalars()
        assert list(audited) == [payout["id"]]


def test_a_withdrawal_never_overdraws(server: Server) -> None:
    _client, freelancer, _order = completed(server)
    refused = withdraw(server, freelancer, 80_001)
    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_funds"
    ok(withdraw(server, freelancer, 80_000), 201)
    assert withdraw(server, freelancer, 1).status_code == 409
    assert summary(server, freelancer)["available_fen"] == 0


def test_money_in_escrow_cannot_be_withdrawn(sqlite_server: Server) -> None:
    _client, freelancer, _order = delivered(sqlite_server)
    assert withdraw(sqlite_server, freelancer, 1).status_code == 409


def test_bad_amounts_and_extra_fields_are_422(sqlite_server: Server) -> None:
    _client, freelancer, _order = funded(sqlite_server)
    for body in ({"amount_fen": 0}, {"amount_fen": -5}, {"amount_fen": 1.5}, {"amount_fen": "9"}):
        response = sqlite_server.request(
            "POST", "/v1/earnings/withdraw", freelancer["token"], json=body
        )
        assert response.status_code == 422, body
    extra = withdraw(sqlite_server, freelancer, 1, balance_fen=10**9)
    assert extra.status_code == 422


def test_a_withdrawal_id_is_idempotent(sqlite_server: Server) -> None:
    _client, freelancer, _order = completed(sqlite_server)
    payout_id = "0190a8f0-2222-7000-8000-000000000001"
    first = ok(withdraw(sqlite_server, freelancer, 10_000, id=payout_id), 201)
    again = ok(withdraw(sqlite_server, freelancer, 10_000, id=payout_id), 201)
    assert again == first
    assert summary(sqlite_server, freelancer)["available_fen"] == 70_000


def test_with_2fa_on_a_withdrawal_needs_a_fresh_code(calm_server: Server) -> None:
    server = calm_server  # a withdrawal just after a 2FA change: the risk engine would hold it
    _client, freelancer, _order = completed(server)
    secret = turn_on_2fa(server, freelancer)
    missing = withdraw(server, freelancer, 1_000)
    assert missing.status_code == 401 and missing.json()["code"] == "otp_required"
    assert withdraw(server, freelancer, 1_000, otp="000000").status_code == 401
    code = pyotp.TOTP(secret).at(server.clock.now)
    assert withdraw(server, freelancer, 1_000, otp=code).status_code == 201
    replayed = withdraw(server, freelancer, 1_000, otp=code)
    assert replayed.status_code == 401
    assert summary(server, freelancer)["available_fen"] == 79_000
    with server.db.read() as conn:
        refused = conn.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "2fa.code_refused")
        ).scalars()
        assert len(list(refused)) == 2  # the wrong code and the replay


def test_points_history_is_newest_first_and_private(sqlite_server: Server) -> None:
    _client, freelancer, _order = completed(sqlite_server)
    history = ok_list(sqlite_server, freelancer, "/v1/points/history")
    assert [e["kind"] for e in history] == ["completion"]
    other = sqlite_server.register("freelancer")
    assert ok_list(sqlite_server, other, "/v1/points/history") == []
    assert ok(sqlite_server.request("GET", "/v1/points", other["token"]))["balance"] == 0


# ---- the points ledger ----------------------------------------------------------------------


def award(server: Server, user: dict[str, Any], amount: int, entry_id: str) -> dict[str, Any]:
    with server.db.write() as conn:
        return points.award_points(
            conn,
            user_id=user["id"],
            amount=amount,
            kind="test",
            entry_id=entry_id,
            now=server.clock.now,
        )


def points_of(server: Server, user: dict[str, Any]) -> int:
    return int(ok(server.request("GET", "/v1/points", user["token"]))["balance"])


def test_points_are_idempotent_by_entry_id(server: Server) -> None:
    user = server.register("freelancer")
    first = award(server, user, 50, "checkin:2026-11-25")
    assert award(server, user, 50, "checkin:2026-11-25") == first
    assert points_of(server, user) == 50
    with pytest.raises(Conflict):
        award(server, user, 60, "checkin:2026-11-25")


def test_points_never_go_negative(server: Server) -> None:
    user = server.register("freelancer")
    award(server, user, 30, "earn")
    with pytest.raises(Refused) as refused:
        award(server, user, -31, "spend")
    assert refused.value.code == "insufficient_points"
    award(server, user, -30, "spend")
    assert points_of(server, user) == 0
    assert [e["amount"] for e in ok_list(server, user, "/v1/points/history")] == [-30, 30]
