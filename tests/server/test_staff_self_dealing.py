"""Staff never act on an object they are party to (issue 9, item 6): a marketplace account
made staff (only with an explicit `create-staff --promote`) may not approve its own
verification, nor resolve a dispute on an order where it is the client or the freelancer;
every staff action names its actor in the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound
from jiedan_cli.server.db.tables import audit_log, disputes
from jiedan_cli.server.services import accounts
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import act, balances, funded, ok, staff
from tests.server.test_auth import login, run_create_staff
from tests.server.test_verification import review, submit


def promote(server: Server, user: dict[str, Any], role: str) -> dict[str, Any]:
    """Give a marketplace account a staff role, as `create-staff --promote` does."""
    with server.db.write() as conn:
        accounts.create_staff(
            conn,
            email=user["email"],
            role=role,
            password=None,
            name=user["name"],
            now=server.clock.now,
            promote=True,
        )
    return user


def audited(server: Server, action: str) -> list[Any]:
    with server.db.read() as conn:
        return list(conn.execute(select(audit_log).where(audit_log.c.action == action)))


# ---- create-staff on an existing account ----------------------------------------------------


def test_create_staff_refuses_an_existing_marketplace_account(sqlite_server: Server) -> None:
    freelancer = sqlite_server.register("freelancer")
    with sqlite_server.db.write() as conn, pytest.raises(Conflict) as refused:
        accounts.create_staff(
            conn,
            email=freelancer["email"],
            role="reviewer",
            password="attacker password",
            name="x",
            now=sqlite_server.clock.now,
        )
    assert refused.value.code == "account_exists" and "--promote" in refused.value.message
    assert login(sqlite_server, freelancer["email"]).json()["user"]["roles"] == ["freelancer"]


def test_promote_keeps_the_password_and_refuses_one_given(sqlite_server: Server) -> None:
    client = sqlite_server.register("client")
    with sqlite_server.db.write() as conn, pytest.raises(InvalidInput):
        accounts.create_staff(
            conn,
            email=client["email"],
            role="finance",
            password="a new password",
            name="x",
            now=sqlite_server.clock.now,
            promote=True,
        )
    with sqlite_server.db.write() as conn, pytest.raises(NotFound):
        accounts.create_staff(
            conn,
            email="nobody@example.com",
            role="finance",
            password=None,
            name="x",
            now=sqlite_server.clock.now,
            promote=True,
        )
    promote(sqlite_server, client, "finance")
    assert login(sqlite_server, client["email"]).json()["user"]["roles"] == ["client", "finance"]
    [granted] = audited(sqlite_server, "staff.role_granted")
    assert granted.target == client["id"] and granted.detail["role"] == "finance"
    assert granted.detail["by"] == "jiedan server create-staff --promote"


def test_create_staff_command_on_an_existing_account(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    server = make_server(url)
    with server.client:
        freelancer = server.register("freelancer")
    args = ("--email", freelancer["email"], "--role", "reviewer")
    refused = run_create_staff(url, tmp_path / "home", *args, password="ignored password 1")
    assert refused.returncode == 4, refused.stderr
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: ") and "--promote" in line

    with_password = run_create_staff(url, tmp_path / "home", *args, "--promote", password="pw")
    assert with_password.returncode == 2, with_password.stderr
    assert "password" in with_password.stderr

    promoted = run_create_staff(url, tmp_path / "home", *args, "--promote", password=None)
    assert promoted.returncode == 0, promoted.stderr
    assert "keeps its own password" in promoted.stderr
    server = make_server(url)
    with server.client:
        signed_in = login(server, freelancer["email"])
        assert signed_in.json()["user"]["roles"] == ["freelancer", "reviewer"]


# ---- acting on one's own objects ----------------------------------------------------------


def test_a_reviewer_may_not_approve_their_own_verification(server: Server) -> None:
    freelancer = server.register("freelancer")
    ok(submit(server, freelancer), 201)
    promote(server, freelancer, "reviewer")
    queue = server.request("GET", "/v1/staff/verifications", freelancer["token"])
    assert freelancer["id"] not in [v["user_id"] for v in queue.json()]
    for verdict in ("approve", "reject"):
        refused = review(server, freelancer, freelancer["id"], verdict)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "staff_party"
    mine = server.request("GET", "/v1/me/verification", freelancer["token"]).json()
    assert mine["status"] == "pending"
    [denied, *_] = audited(server, "permission_denied")
    assert denied.actor_id == freelancer["id"]  # the refusal names who tried

    other = staff(server, "reviewer")
    ok(review(server, other, freelancer["id"], "approve"))
    [approved] = audited(server, "verification.approved")
    assert (approved.actor_id, approved.target) == (other["id"], freelancer["id"])


@pytest.mark.parametrize("side", ["freelancer", "client"])
def test_support_may_not_resolve_a_dispute_on_their_own_order(server: Server, side: str) -> None:
    client, freelancer, order = funded(server)
    ok(act(server, client, order["id"], "dispute", reason="没按时交付"))
    insider = promote(server, freelancer if side == "freelancer" else client, "support")
    path = f"/v1/staff/disputes/{order['id']}/resolve"
    before = balances(server)
    for pct in (100, 0):
        refused = server.request("POST", path, insider["token"], json={"to_freelancer_pct": pct})
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "staff_party"
    assert balances(server) == before
    with server.db.read() as conn:
        assert conn.scalar(select(disputes.c.status)) == "open"

    other = staff(server, "admin")
    ok(server.request("POST", path, other["token"], json={"to_freelancer_pct": 50}))
    [resolved] = audited(server, "dispute.resolved")
    assert (resolved.actor_id, resolved.target) == (other["id"], order["id"])
