"""The protection fund (保险机制; #12): a share of each release's fee moves on to
platform:protection in the fee's own posting (JIEDAN_SERVER_PROTECTION_SHARE_PCT), and
finance or an admin compensates a defrauded party of a disputed order from it — never more
than it holds, once per compensation id, audited, never by a party — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db.tables import audit_log
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import (
    act,
    assert_ledger_sound,
    balances,
    completed,
    funded,
    ok,
    staff,
    transfers,
)
from tests.server.test_staff_self_dealing import promote

FUND = "platform:protection"
BIG = 400_000  # above the first order's fee waiver (¥2,000), so a fee is charged


def fee_and_share(server: Server, order_id: str) -> tuple[int, int]:
    moves = {t.kind: t.amount_fen for t in transfers(server, order_id=order_id)}
    return moves.get("fee", 0), moves.get("protection", 0)


def disputed(server: Server) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    client, freelancer, order = funded(server)
    ok(act(server, client, order["id"], "dispute", reason="交付的是别人的作品"))
    return client, freelancer, order


def compensate(server: Server, token: str, order_id: str, **body: Any) -> Any:
    body = {"id": str(uuid.uuid4()), "to": "freelancer", "amount_fen": 100, "reason": "x", **body}
    return server.request("POST", f"/v1/staff/disputes/{order_id}/compensate", token, json=body)


def test_a_release_sets_a_share_of_its_fee_aside_in_the_same_posting(server: Server) -> None:
    _client, _freelancer, order = completed(server, amount_fen=BIG)
    fee, share = fee_and_share(server, order["id"])
    assert fee > 0 and share == fee * 10 // 100 > 0
    [accrual] = transfers(server, kind="protection")
    assert (accrual.source, accrual.destination, accrual.created_at) == (
        "platform:fees",
        FUND,
        transfers(server, kind="fee")[0].created_at,
    )
    held = balances(server)
    assert (held[FUND], held["platform:fees"]) == (share, fee - share)
    assert_ledger_sound(server.db)


@pytest.mark.parametrize("pct", [0, 25])
def test_the_share_is_a_setting(sqlite_url: str, pct: int) -> None:
    server = make_server(sqlite_url, protection_share_pct=pct)
    with server.client:
        _client, _freelancer, order = completed(server, amount_fen=BIG)
        fee, share = fee_and_share(server, order["id"])
        assert share == fee * pct // 100
        assert balances(server).get(FUND, 0) == share
        assert len(transfers(server, kind="protection")) == (1 if pct else 0)


def test_a_share_outside_0_to_100_is_refused_at_start() -> None:
    with pytest.raises(InvalidInput, match="JIEDAN_SERVER_PROTECTION_SHARE_PCT"):
        Settings(protection_share_pct=101)


def test_finance_compensates_a_defrauded_party_once_and_within_the_fund(server: Server) -> None:
    completed(server, amount_fen=BIG)
    fund = balances(server)[FUND]
    client, freelancer, order = disputed(server)
    finance = staff(server, "finance")

    shown = ok(server.request("GET", "/v1/staff/protection", finance["token"]))
    assert (shown["account"], shown["balance_fen"]) == (FUND, fund)

    too_much = compensate(server, finance["token"], order["id"], amount_fen=fund + 1)
    assert too_much.status_code == 409 and too_much.json()["code"] == "insufficient_funds"
    assert "protection fund holds" in too_much.json()["detail"]

    payout_id = str(uuid.uuid4())
    body = {"id": payout_id, "to": "freelancer", "amount_fen": 1_000, "reason": "买家拒付欺诈"}
    first = ok(compensate(server, finance["token"], order["id"], **body))
    assert (first["recipient_id"], first["transfer_id"]) == (
        freelancer["id"],
        f"compensation:{payout_id}",
    )
    again = ok(compensate(server, finance["token"], order["id"], **body))  # a retry
    assert again == first
    held = balances(server)
    assert held[FUND] == fund - 1_000
    assert held[f"freelancer:{freelancer['id']}:available"] == 1_000
    other = compensate(server, finance["token"], order["id"], **{**body, "amount_fen": 2_000})
    assert other.status_code == 409 and other.json()["code"] == "transfer_mismatch"

    to_client = ok(compensate(server, finance["token"], order["id"], to="client", amount_fen=500))
    assert to_client["recipient_id"] == client["id"]
    assert balances(server)[FUND] == fund - 1_500
    assert_ledger_sound(server.db)

    with server.db.read() as conn:
        audited = conn.execute(
            select(audit_log)
            .where(audit_log.c.action == "protection.compensated")
            .order_by(audit_log.c.id)
        ).all()
    decisions = [
        (a.actor_id, a.target, a.detail["amount_fen"], a.detail["reason"]) for a in audited
    ]
    assert decisions == [
        (finance["id"], order["id"], 1_000, "买家拒付欺诈"),
        (finance["id"], order["id"], 500, "x"),
    ]


def test_who_may_compensate_and_for_what(sqlite_server: Server) -> None:
    server = sqlite_server
    completed(server, amount_fen=BIG)
    client, freelancer, order = disputed(server)
    for role in ("support", "reviewer"):
        assert compensate(server, staff(server, role)["token"], order["id"]).status_code == 403
    assert compensate(server, freelancer["token"], order["id"]).status_code == 403
    assert server.request("GET", "/v1/staff/protection", client["token"]).status_code == 403

    admin = staff(server, "admin")
    _c, _f, undisputed = funded(server)
    refused = compensate(server, admin["token"], undisputed["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "not_disputed"
    assert compensate(server, admin["token"], str(uuid.uuid4())).status_code == 404
    bad = compensate(server, admin["token"], order["id"], to="bank", amount_fen=0, reason="")
    assert bad.status_code == 422

    party = promote(server, freelancer, "finance")
    refused = compensate(server, party["token"], order["id"])
    assert refused.status_code == 403 and refused.json()["code"] == "staff_party"
    assert ok(compensate(server, admin["token"], order["id"]))["amount_fen"] == 100
