"""Auto-release (money.md): a delivery the client leaves unanswered for AUTO_RELEASE_DAYS is
paid to the freelancer by the scheduled job — and only then, and only once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jiedan_cli.server.db.tables import audit_log
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import act, balances, deliver, delivered, ok, summary

JOB = "jiedan_cli.server.jobs.auto_release"


def run_jobs(server: Server) -> dict[str, int]:
    return dict(server.app.state.jobs.run_once())


def milestone_status(server: Server, user: dict[str, Any], order_id: str) -> str:
    response = server.request("GET", f"/v1/orders/{order_id}/milestones", user["token"])
    return str(response.json()[0]["status"])


def test_an_unanswered_delivery_is_released_after_fourteen_days(server: Server) -> None:
    client, freelancer, order = delivered(server)
    server.clock.advance(days=13, hours=23)
    assert run_jobs(server)[JOB] == 0
    assert summary(server, freelancer)["available_fen"] == 0
    server.clock.advance(days=1)
    assert run_jobs(server)[JOB] == 1
    assert milestone_status(server, client, order["id"]) == "auto_released"
    shown = server.request("GET", f"/v1/orders/{order['id']}", client["token"]).json()
    assert shown["status"] == "completed"
    assert summary(server, freelancer)["available_fen"] == 80_000
    with server.db.read() as conn:
        audited = conn.execute(
            select(audit_log.c.target).where(audit_log.c.action == "escrow.auto_released")
        ).scalars()
        assert len(list(audited)) == 1


def test_the_job_pays_once_however_often_it_runs(server: Server) -> None:
    _client, freelancer, _order = delivered(server)
    server.clock.advance(days=15)
    assert run_jobs(server)[JOB] == 1
    server.clock.advance(days=10)
    assert run_jobs(server)[JOB] == 0
    assert balances(server)[f"freelancer:{freelancer['id']}:available"] == 80_000


def test_an_accepted_or_revised_delivery_is_left_alone(sqlite_server: Server) -> None:
    client, _freelancer, accepted = delivered(sqlite_server)
    ok(act(sqlite_server, client, accepted["id"], "accept"))
    _c, _f, revised = delivered(sqlite_server)
    ok(act(sqlite_server, _c, revised["id"], "revise", note="再改"))
    sqlite_server.clock.advance(days=15)
    assert run_jobs(sqlite_server)[JOB] == 0
    assert milestone_status(sqlite_server, _c, revised["id"]) == "revision_requested"


def test_a_new_delivery_restarts_the_wait(sqlite_server: Server) -> None:
    client, freelancer, order = delivered(sqlite_server)
    sqlite_server.clock.advance(days=10)
    ok(act(sqlite_server, client, order["id"], "revise", note="再改"))
    deliver(sqlite_server, freelancer, order["id"])
    sqlite_server.clock.advance(days=10)
    assert run_jobs(sqlite_server)[JOB] == 0
    sqlite_server.clock.advance(days=4)
    assert run_jobs(sqlite_server)[JOB] == 1


def test_a_disputed_delivery_is_not_auto_released(sqlite_server: Server) -> None:
    client, _freelancer, order = delivered(sqlite_server)
    ok(act(sqlite_server, client, order["id"], "dispute", reason="质量不行"))
    sqlite_server.clock.advance(days=20)
    assert run_jobs(sqlite_server)[JOB] == 0
    assert milestone_status(sqlite_server, client, order["id"]) == "disputed"


def test_the_wait_is_configurable(sqlite_url: str) -> None:
    server = make_server(sqlite_url, auto_release_days=3)
    with server.client:
        _client, freelancer, _order = delivered(server)
        server.clock.advance(days=3)
        assert run_jobs(server)[JOB] == 1
        assert balances(server)[f"freelancer:{freelancer['id']}:available"] == 80_000
