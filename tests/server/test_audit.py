"""Permission failures reach the audit log even though the refused transaction rolled back."""

from __future__ import annotations

from sqlalchemy import select

from jiedan_cli.server.db.tables import audit_log
from tests.server.conftest import Server


def _actions(server: Server) -> list[tuple[str, str | None]]:
    with server.db.read() as conn:
        return [(r.action, r.target) for r in conn.execute(select(audit_log))]


def test_a_bad_token_is_audited(sqlite_server: Server) -> None:
    response = sqlite_server.request("GET", "/v1/me", "not-a-token")
    assert response.status_code == 401
    assert ("unauthenticated", "GET /v1/me") in _actions(sqlite_server)


def test_a_forbidden_call_is_audited(sqlite_server: Server) -> None:
    freelancer = sqlite_server.register("freelancer")
    response = sqlite_server.request(
        "POST",
        "/v1/orders",
        freelancer["token"],
        json={
            "title": "企业官网",
            "description": "需要一个官网",
            "category": "development",
            "budget_min_fen": 100_000,
            "budget_max_fen": 200_000,
        },
    )
    assert response.status_code == 403
    assert ("permission_denied", "POST /v1/orders") in _actions(sqlite_server)
