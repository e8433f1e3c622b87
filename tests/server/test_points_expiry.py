"""Points expiry (积分过期, #13), on SQLite and PostgreSQL, with the injected clock at the
edge: points expire JIEDAN_SERVER_POINTS_EXPIRY_MONTHS calendar months after they were earned,
the oldest spent first (a redemption uses the oldest points), by the expiry job writing one
`expired` entry per lot — once however often it runs, never below zero — and GET /v1/points
says what expires next."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.server.db.tables import points_balances, points_entries
from jiedan_cli.server.jobs.scheduler import JobRunner
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import completed, ok

JOB = "jiedan_cli.server.jobs.points_expiry"


@pytest.fixture
def month_server(database_url: str) -> Iterator[Server]:
    """Points expire after one month; sessions outlive the test's clock."""
    srv = make_server(database_url, points_expiry_months=1, session_ttl_days=400)
    with srv.client:
        yield srv


def points(server: Server, user: dict[str, Any]) -> dict[str, Any]:
    return ok(server.request("GET", "/v1/points", user["token"]))


def redeem(server: Server, user: dict[str, Any], n: int) -> None:
    ok(
        server.request(
            "POST", "/v1/points/redeem", user["token"], json={"kind": "cash", "points": n}
        )
    )


def expire(server: Server) -> int:
    runner = JobRunner(server.db, server.settings, server.clock)
    return dict(runner.run_once())[JOB]


def expired_entries(server: Server, user: dict[str, Any]) -> list[int]:
    with server.db.read() as conn:
        return list(
            conn.execute(
                select(points_entries.c.amount).where(
                    points_entries.c.user_id == user["id"], points_entries.c.kind == "expired"
                )
            ).scalars()
        )


def test_points_expire_at_the_month_edge_once_what_was_not_spent(month_server: Server) -> None:
    server = month_server
    _c, freelancer, _o = completed(server, amount_fen=400_000)  # 400 points at 2026-11-25 09:00Z
    earned_at = server.clock.now
    server.clock.advance(days=10)
    redeem(server, freelancer, 150)  # spent from those oldest points: 250 left of them
    soon = points(server, freelancer)["expiring"]
    assert (soon["points"], soon["on"]) == (250, "2026-12-25")  # a month on, China's day
    server.clock.now = earned_at + timedelta(days=30) - timedelta(seconds=1)  # 12-25 08:59:59Z
    assert expire(server) == 0 and points(server, freelancer)["balance"] == 250
    server.clock.now = earned_at + timedelta(days=30)  # 2026-12-25 09:00Z: the edge
    assert expire(server) == 250 + 400  # and the client's 400 of the same order
    assert expire(server) == 0  # the job again (another period, a retry): nothing twice
    mine = points(server, freelancer)
    assert (mine["balance"], mine["expiring"]) == (0, None)
    assert expired_entries(server, freelancer) == [-250]
    with server.db.read() as conn:
        assert all(b >= 0 for b in conn.execute(select(points_balances.c.balance)).scalars())


def test_a_redemption_uses_the_oldest_points_first(month_server: Server) -> None:
    server = month_server
    _c, freelancer, _o = completed(server, amount_fen=400_000)  # lot A: 400 on 11-25
    first = server.clock.now
    server.clock.advance(days=20)
    completed(server, amount_fen=300_000, freelancer=freelancer)  # lot B: 300 on 12-15
    second = server.clock.now
    redeem(server, freelancer, 500)  # all of A, then 100 of B: 200 of B left
    assert points(server, freelancer)["expiring"]["points"] == 200
    assert points(server, freelancer)["expiring"]["on"] == "2027-01-15"
    server.clock.now = first + timedelta(days=31)  # A's month is over: nothing of it left
    assert expire(server) == 400  # the first client's 400 only
    assert (
        points(server, freelancer)["balance"] == 200 and expired_entries(server, freelancer) == []
    )
    server.clock.now = second + timedelta(days=31)  # 2027-01-15: B's month ends
    assert expire(server) == 200 + 300  # and the second client's
    assert points(server, freelancer)["balance"] == 0
    assert expired_entries(server, freelancer) == [-200]


def test_zero_months_means_points_never_expire(server: Server) -> None:
    srv = make_server(server.settings.database_url, points_expiry_months=0)
    assert srv.settings.points_expiry_months == 0
    with srv.client:
        _c, freelancer, _o = completed(srv, amount_fen=400_000)
        srv.clock.advance(days=3_000)
        assert JobRunner(srv.db, srv.settings, srv.clock).run_once()[JOB] == 0
        with srv.db.read() as conn:
            balance = conn.scalar(
                select(points_balances.c.balance).where(
                    points_balances.c.user_id == freelancer["id"]
                )
            )
        assert balance == 400
