"""The audit trail of money (security.md): every movement is written down with who caused
it, without secrets, and admins — only admins — read it back."""

from __future__ import annotations

import json
from typing import Any

import pyotp

from tests.server.conftest import Server
from tests.server.escrow_flow import completed, ok, staff
from tests.server.test_earnings import turn_on_2fa, withdraw

AUDIT = "/v1/staff/audit"


def read(server: Server, user: dict[str, Any], **params: Any) -> Any:
    return server.request("GET", AUDIT, user["token"], params=params)


def test_every_movement_is_audited_with_its_cause(server: Server) -> None:
    client, freelancer, order = completed(server)
    admin = staff(server, "admin")
    page = ok(read(server, admin, action="ledger.transfer"))
    by_kind = {e["detail"]["kind"]: e for e in page["items"]}
    assert set(by_kind) == {"fund", "release"}
    assert by_kind["release"]["actor_id"] == client["id"]
    assert by_kind["release"]["detail"]["amount_fen"] == 80_000
    assert by_kind["release"]["detail"]["order_id"] == order["id"]
    assert by_kind["release"]["detail"]["destination"] == f"freelancer:{freelancer['id']}:available"


def test_the_log_pages_newest_first_and_filters_by_prefix(sqlite_server: Server) -> None:
    completed(sqlite_server)
    admin = staff(sqlite_server, "admin")
    first = ok(read(sqlite_server, admin, action="escrow.*", limit=1))
    assert [e["action"] for e in first["items"]] == ["escrow.accepted"]
    everything = ok(read(sqlite_server, admin, limit=200))["items"]
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True)
    second = ok(read(sqlite_server, admin, limit=2))
    after = ok(read(sqlite_server, admin, limit=2, cursor=second["next_cursor"]))
    assert [e["id"] for e in second["items"] + after["items"]] == ids[:4]


def test_only_admins_read_the_log_and_a_refusal_is_itself_audited(sqlite_server: Server) -> None:
    client, _freelancer, _order = completed(sqlite_server)
    for user in (client, staff(sqlite_server, "support"), staff(sqlite_server, "finance")):
        assert read(sqlite_server, user).status_code == 403
    admin = staff(sqlite_server, "admin")
    denied = ok(read(sqlite_server, admin, action="permission_denied"))["items"]
    assert [e["target"] for e in denied] == [f"GET {AUDIT}"] * 3


def test_no_one_time_code_reaches_the_log(sqlite_server: Server) -> None:
    _client, freelancer, _order = completed(sqlite_server)
    secret = turn_on_2fa(sqlite_server, freelancer)
    sqlite_server.clock.advance(days=1, seconds=1)  # a withdrawal just after a 2FA change: held
    code = pyotp.TOTP(secret).at(sqlite_server.clock.now)
    ok(withdraw(sqlite_server, freelancer, 1_000, otp=code), 201)
    admin = staff(sqlite_server, "admin")
    items = ok(read(sqlite_server, admin, limit=200))["items"]
    assert "earnings.withdraw" in {e["action"] for e in items}
    assert code not in json.dumps(items)
    assert secret not in json.dumps(items)
