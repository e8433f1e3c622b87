"""Held money moves released by a reviewer (#12), on SQLite and PostgreSQL, through the real
API: a held withdrawal pays out once, a held funding is paid into escrow through the sandbox
provider once; a second release changes nothing; money.md's ledger invariants hold after.

The order is arranged by the app with the risk engine off, then the same database is served
with the engine on (two apps over one database, as two processes would be)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from jiedan_cli.domain.ledger import escrow as escrow_account
from jiedan_cli.server.db.tables import milestones, payment_intents
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import (
    act,
    assert_ledger_sound,
    awarded,
    balances,
    completed,
    ok,
    staff,
    summary,
    transfers,
)


@pytest.fixture
def plain(database_url: str) -> Iterator[Server]:
    """The app with the risk engine off: arranges the orders."""
    srv = make_server(database_url, risk_record=False)
    with srv.client:
        yield srv


def watched(database_url: str, **settings: Any) -> Server:
    return make_server(database_url, risk_record=True, **settings)


def release(server: Server, hold_id: str) -> Any:
    reviewer = staff(server, "reviewer")
    return server.request("POST", f"/v1/staff/holds/{hold_id}/release", reviewer["token"])


def withdraw(server: Server, user: dict[str, Any], amount_fen: int) -> Any:
    return server.request(
        "POST", "/v1/earnings/withdraw", user["token"], json={"amount_fen": amount_fen}
    )


def test_a_held_withdrawal_released_pays_out_once(plain: Server, database_url: str) -> None:
    _client, freelancer, _order = completed(plain)
    srv = watched(database_url, risk_limits="withdrawals=1")  # a second one in a day is held
    with srv.client:
        assert withdraw(srv, freelancer, 10_000).status_code == 201
        before = summary(srv, freelancer)["available_fen"]
        moved = len(transfers(srv))

        answer = withdraw(srv, freelancer, 20_000)
        assert answer.status_code == 202, answer.text
        hold = answer.json()
        assert (hold["status"], hold["action"]) == ("held", "withdraw")
        assert summary(srv, freelancer)["available_fen"] == before  # nothing paid yet
        assert len(transfers(srv)) == moved

        released = release(srv, hold["id"])
        assert released.status_code == 200, released.text
        assert released.json()["status"] == "released"
        assert summary(srv, freelancer)["available_fen"] == before - 20_000
        assert len(transfers(srv)) == moved + 1

        again = release(srv, hold["id"])
        assert again.status_code == 409 and again.json()["code"] == "hold_decided"
        assert summary(srv, freelancer)["available_fen"] == before - 20_000
        assert len(transfers(srv)) == moved + 1
        assert_ledger_sound(srv.db)


def test_a_held_funding_released_is_paid_into_escrow_once(plain: Server, database_url: str) -> None:
    client, freelancer, order = awarded(plain, amount_fen=80_000)
    # ¥500 or more funded by an account without 实名认证 is held (that rule alone: 30)
    srv = watched(database_url, risk_limits="unverified_large_amount_fen=50000", risk_review_at=30)
    with srv.client:
        answer = act(srv, client, order["id"], "fund")
        assert answer.status_code == 202, answer.text
        hold = answer.json()
        assert hold["action"] == "fund" and "实名认证" in hold["reason"]
        with srv.db.read() as conn:
            (milestone,) = conn.execute(
                select(milestones).where(milestones.c.order_id == order["id"])
            ).all()
            intents = conn.scalar(select(func.count()).select_from(payment_intents))
        assert intents == 0  # the provider was never asked
        escrow = escrow_account(milestone.id)
        assert balances(srv).get(escrow, 0) == 0
        assert (
            ok(srv.request("GET", f"/v1/orders/{order['id']}", client["token"]))["status"]
            == "awarded"
        )

        released = release(srv, hold["id"])
        assert released.status_code == 200, released.text
        assert released.json()["status"] == "released"
        shown = ok(srv.request("GET", f"/v1/orders/{order['id']}", freelancer["token"]))
        assert shown["status"] == "in_progress"  # the sandbox's notification was delivered
        assert balances(srv)[escrow] == milestone.amount_fen

        assert release(srv, hold["id"]).status_code == 409
        assert act(srv, client, order["id"], "fund").status_code == 409  # funded already
        assert balances(srv)[escrow] == milestone.amount_fen
        with srv.db.read() as conn:
            assert conn.scalar(select(func.count()).select_from(payment_intents)) == 1
        assert_ledger_sound(srv.db)
