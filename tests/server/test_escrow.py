"""Escrow over HTTP: deliver, revise, accept (release less the fee), refunds, disputes and
their split, several milestones — who may do what, and where the money ends up."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.server.db.tables import audit_log, disputes, profiles
from tests.server.conftest import Server
from tests.server.escrow_flow import (
    SHA,
    act,
    awarded,
    balances,
    completed,
    deliver,
    delivered,
    funded,
    ok,
    staff,
    transfers,
)
from tests.server.market import changes_of


def milestones_of(server: Server, user: dict[str, Any], order_id: str) -> list[dict[str, Any]]:
    response = server.request("GET", f"/v1/orders/{order_id}/milestones", user["token"])
    assert response.status_code == 200, response.text
    return list(response.json())


def escrow_of(server: Server, milestone: dict[str, Any]) -> int:
    return balances(server).get(f"escrow:{milestone['id']}", 0)


def second_order(
    server: Server, client: dict[str, Any], freelancer: dict[str, Any], **kwargs: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Another order between the same two people (their first one is fee-free)."""
    return awarded(server, client=client, freelancer=freelancer, **kwargs)


# ---- deliver and revise ---------------------------------------------------------------------


def test_delivery_submits_the_milestone_and_the_order(server: Server) -> None:
    client, freelancer, order = funded(server)
    delivery = deliver(server, freelancer, order["id"])
    assert delivery["files"] == [
        {"name": "logo.ai", "size": 2048, "sha256": SHA, "uploaded": False}
    ]
    [milestone] = milestones_of(server, client, order["id"])
    assert milestone["status"] == "submitted"
    assert milestone["submitted_at"] == "2026-11-25T09:00:00Z"
    assert delivery["milestone_id"] == milestone["id"]
    listed = server.request("GET", f"/v1/orders/{order['id']}/deliveries", client["token"])
    assert [d["id"] for d in listed.json()] == [delivery["id"]]
    shown = server.request("GET", f"/v1/orders/{order['id']}", client["token"]).json()
    assert shown["status"] == "delivered"


def test_only_the_awarded_freelancer_delivers(sqlite_server: Server) -> None:
    client, _freelancer, order = funded(sqlite_server)
    response = act(sqlite_server, client, order["id"], "deliveries", note="x", files=[])
    assert response.status_code == 403


def test_nothing_is_delivered_before_funding(sqlite_server: Server) -> None:
    _client, freelancer, order = awarded(sqlite_server)
    response = act(sqlite_server, freelancer, order["id"], "deliveries", note="x", files=[])
    assert response.status_code == 409
    assert response.json()["code"] == "order_awarded"


@pytest.mark.parametrize(
    "files",
    [
        [{"name": "a", "size": 1, "sha256": "xyz"}],
        [{"name": "", "size": 1, "sha256": SHA}],
        [{"name": "a", "size": -1, "sha256": SHA}],
        [{"name": "a", "size": 1, "sha256": SHA, "url": "http://x"}],
        [{"name": "a", "size": 1, "sha256": SHA}] * 51,
    ],
)
def test_file_metadata_is_validated(sqlite_server: Server, files: list[Any]) -> None:
    _client, freelancer, order = funded(sqlite_server)
    response = act(sqlite_server, freelancer, order["id"], "deliveries", note="x", files=files)
    assert response.status_code == 422


def test_a_delivery_made_offline_is_idempotent_by_id(sqlite_server: Server) -> None:
    _client, freelancer, order = funded(sqlite_server)
    body = {"id": "0190a8f0-1111-7000-8000-000000000001", "note": "初稿", "files": []}
    first = ok(act(sqlite_server, freelancer, order["id"], "deliveries", **body), 201)
    again = ok(act(sqlite_server, freelancer, order["id"], "deliveries", **body), 201)
    assert again == first


def test_revision_sends_the_work_back_and_a_new_delivery_restarts_the_clock(
    server: Server,
) -> None:
    client, freelancer, order = delivered(server)
    revised = ok(act(server, client, order["id"], "revise", note="颜色再亮一点"))
    assert revised["status"] == "in_progress"
    assert milestones_of(server, client, order["id"])[0]["status"] == "revision_requested"
    server.clock.advance(days=3)
    deliver(server, freelancer, order["id"])
    [milestone] = milestones_of(server, client, order["id"])
    assert milestone["status"] == "submitted"
    assert milestone["submitted_at"] == "2026-11-28T09:00:00Z"


def test_revision_needs_a_delivery(sqlite_server: Server) -> None:
    client, _freelancer, order = funded(sqlite_server)
    response = act(sqlite_server, client, order["id"], "revise", note="?")
    assert response.status_code == 409


# ---- accept ---------------------------------------------------------------------------------


def test_accepting_the_first_order_pays_everything_fee_free(server: Server) -> None:
    client, freelancer, order = delivered(server)
    [milestone] = milestones_of(server, client, order["id"])
    accepted = ok(act(server, client, order["id"], "accept"))
    assert accepted["status"] == "completed"
    money = balances(server)
    assert money[f"freelancer:{freelancer['id']}:available"] == 80_000
    assert money.get("platform:fees", 0) == 0
    assert escrow_of(server, milestone) == 0
    assert milestones_of(server, client, order["id"])[0]["status"] == "released"


def test_accepting_a_later_order_takes_the_ten_percent_fee(server: Server) -> None:
    client, freelancer, _first = completed(server)
    _c, _f, order = second_order(server, client, freelancer, amount_fen=100_000)
    ok(act(server, client, order["id"], "fund"))
    deliver(server, freelancer, order["id"])
    [milestone] = milestones_of(server, client, order["id"])
    ok(act(server, client, order["id"], "accept"))
    money = balances(server)
    assert money[f"freelancer:{freelancer['id']}:available"] == 80_000 + 90_000
    # a tenth of the fee moves on to the protection fund, in the same posting
    assert (money["platform:fees"], money["platform:protection"]) == (9_000, 1_000)
    assert escrow_of(server, milestone) == 0
    kinds = {t.id: (t.kind, t.amount_fen) for t in transfers(server, milestone_id=milestone["id"])}
    assert kinds[f"release:{milestone['id']}"] == ("release", 90_000)
    assert kinds[f"fee:{milestone['id']}"] == ("fee", 10_000)


def test_completion_counts_on_the_profile_and_earns_both_parties_points(server: Server) -> None:
    client, freelancer, _order = completed(server)
    with server.db.read() as conn:
        count = conn.scalar(
            select(profiles.c.completed_count).where(profiles.c.user_id == freelancer["id"])
        )
    assert count == 1
    for user in (client, freelancer):
        history = ok_list(server, user, "/v1/points/history")
        assert [(e["kind"], e["amount"]) for e in history] == [("completion", 80)]


def ok_list(server: Server, user: dict[str, Any], path: str) -> list[dict[str, Any]]:
    response = server.request("GET", path, user["token"])
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_silver_freelancer_pays_a_lower_commission(calm_server: Server) -> None:
    # five quick fund-and-accept cycles with one client: the risk engine would hold the sixth
    server = calm_server
    client, freelancer, _first = completed(server, amount_fen=200_000)
    for _ in range(4):  # five orders and ¥10,000 make silver: 10% → 9%
        _c, _f, order = second_order(server, client, freelancer, amount_fen=200_000)
        ok(act(server, client, order["id"], "fund"))
        deliver(server, freelancer, order["id"])
        ok(act(server, client, order["id"], "accept"))
    assert ok_list_points(server, freelancer)["tier"] == "silver"
    profile = ok(server.request("GET", f"/v1/profiles/{freelancer['id']}"))
    assert (profile["tier"], profile["tier_label"], profile["badges"]) == ("silver", "银牌", [])
    _c, _f, order = second_order(server, client, freelancer, amount_fen=100_000)
    ok(act(server, client, order["id"], "fund"))
    deliver(server, freelancer, order["id"])
    ok(act(server, client, order["id"], "accept"))
    fees = [t.amount_fen for t in transfers(server, kind="fee", order_id=order["id"])]
    assert fees == [9_000]


def ok_list_points(server: Server, user: dict[str, Any]) -> dict[str, Any]:
    return ok(server.request("GET", "/v1/points", user["token"]))


def test_only_the_client_accepts_and_only_a_delivery(sqlite_server: Server) -> None:
    client, freelancer, order = funded(sqlite_server)
    assert act(sqlite_server, client, order["id"], "accept").status_code == 409
    deliver(sqlite_server, freelancer, order["id"])
    assert act(sqlite_server, freelancer, order["id"], "accept").status_code == 403
    stranger = sqlite_server.register("client")
    assert act(sqlite_server, stranger, order["id"], "accept").status_code == 404


def test_accepting_twice_pays_once(server: Server) -> None:
    client, freelancer, order = completed(server)
    again = act(server, client, order["id"], "accept")
    assert again.status_code == 409
    assert balances(server)[f"freelancer:{freelancer['id']}:available"] == 80_000


# ---- refunds --------------------------------------------------------------------------------


def test_an_approved_refund_sends_the_money_back_and_cancels(server: Server) -> None:
    client, freelancer, order = funded(server)
    [milestone] = milestones_of(server, client, order["id"])
    asked = ok(act(server, client, order["id"], "refund-request", reason="计划取消"))
    assert asked["status"] == "in_progress"
    assert milestones_of(server, client, order["id"])[0]["status"] == "refund_requested"
    approved = ok(act(server, freelancer, order["id"], "refund-approve"))
    assert approved["status"] == "cancelled"
    assert milestones_of(server, client, order["id"])[0]["status"] == "refunded"
    assert escrow_of(server, milestone) == 0
    assert balances(server)["external:sandbox"] == 0
    assert [t.kind for t in transfers(server, milestone_id=milestone["id"])] == ["fund", "refund"]


def test_refunds_need_the_right_party_and_a_request(sqlite_server: Server) -> None:
    client, freelancer, order = delivered(sqlite_server)
    assert act(sqlite_server, freelancer, order["id"], "refund-approve").status_code == 409
    assert (
        act(sqlite_server, freelancer, order["id"], "refund-request", reason="x").status_code == 403
    )
    ok(act(sqlite_server, client, order["id"], "refund-request", reason="x"))
    assert act(sqlite_server, client, order["id"], "refund-approve").status_code == 403


def test_a_refund_before_funding_is_refused(sqlite_server: Server) -> None:
    client, _freelancer, order = awarded(sqlite_server)
    response = act(sqlite_server, client, order["id"], "refund-request", reason="x")
    assert response.status_code == 409


# ---- disputes -------------------------------------------------------------------------------


def test_a_dispute_freezes_the_escrow(server: Server) -> None:
    client, freelancer, order = delivered(server)
    disputed = ok(act(server, freelancer, order["id"], "dispute", reason="客户不验收"))
    assert disputed["status"] == "disputed"
    assert milestones_of(server, client, order["id"])[0]["status"] == "disputed"
    assert act(server, client, order["id"], "accept").status_code == 409
    with server.db.read() as conn:
        row = conn.execute(select(disputes).where(disputes.c.order_id == order["id"])).one()
    assert (row.status, row.opened_by) == ("open", freelancer["id"])


def test_staff_split_a_dispute_with_the_fee_on_the_freelancers_share(server: Server) -> None:
    client, freelancer, _first = completed(server)
    _c, _f, order = second_order(server, client, freelancer, amount_fen=100_000)
    ok(act(server, client, order["id"], "fund"))
    [milestone] = milestones_of(server, client, order["id"])
    ok(act(server, client, order["id"], "dispute", reason="没按时交付"))
    support = staff(server, "support")
    resolved = server.request(
        "POST",
        f"/v1/staff/disputes/{order['id']}/resolve",
        support["token"],
        json={"to_freelancer_pct": 70},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "completed"
    moves = {t.kind: t.amount_fen for t in transfers(server, milestone_id=milestone["id"])}
    assert moves == {
        "fund": 100_000,
        "refund": 30_000,
        "resolve": 63_000,
        "fee": 7_000,
        "protection": 700,
    }
    assert escrow_of(server, milestone) == 0
    assert milestones_of(server, client, order["id"])[0]["status"] == "resolved"
    with server.db.read() as conn:
        row = conn.execute(select(disputes).where(disputes.c.order_id == order["id"])).one()
    assert (row.status, row.to_freelancer_pct, row.resolved_by) == ("resolved", 70, support["id"])


def test_a_dispute_resolved_all_to_the_client_cancels_the_order(server: Server) -> None:
    client, freelancer, order = funded(server)
    [milestone] = milestones_of(server, client, order["id"])
    ok(act(server, client, order["id"], "dispute", reason="联系不上"))
    admin = staff(server, "admin")
    resolved = server.request(
        "POST",
        f"/v1/staff/disputes/{order['id']}/resolve",
        admin["token"],
        json={"to_freelancer_pct": 0},
    )
    assert resolved.json()["status"] == "cancelled"
    assert escrow_of(server, milestone) == 0
    assert balances(server).get(f"freelancer:{freelancer['id']}:available", 0) == 0


def test_only_support_or_admin_resolve_and_refusals_are_audited(sqlite_server: Server) -> None:
    client, _freelancer, order = funded(sqlite_server)
    ok(act(sqlite_server, client, order["id"], "dispute", reason="x"))
    path = f"/v1/staff/disputes/{order['id']}/resolve"
    for user in (client, staff(sqlite_server, "finance")):
        response = sqlite_server.request(
            "POST", path, user["token"], json={"to_freelancer_pct": 100}
        )
        assert response.status_code == 403
    with sqlite_server.db.read() as conn:
        denied = conn.execute(
            select(audit_log.c.target).where(audit_log.c.action == "permission_denied")
        ).scalars()
        assert list(denied) == [f"POST {path}"] * 2


def test_resolving_needs_a_dispute_and_a_sane_share(sqlite_server: Server) -> None:
    _client, _freelancer, order = funded(sqlite_server)
    support = staff(sqlite_server)
    path = f"/v1/staff/disputes/{order['id']}/resolve"
    assert (
        sqlite_server.request(
            "POST", path, support["token"], json={"to_freelancer_pct": 50}
        ).status_code
        == 409
    )
    for bad in (-1, 101, 50.5, "50"):
        response = sqlite_server.request(
            "POST", path, support["token"], json={"to_freelancer_pct": bad}
        )
        assert response.status_code == 422


def test_a_stranger_cannot_dispute(sqlite_server: Server) -> None:
    _client, _freelancer, order = funded(sqlite_server)
    stranger = sqlite_server.register("freelancer")
    assert act(sqlite_server, stranger, order["id"], "dispute", reason="x").status_code == 404


# ---- several milestones ---------------------------------------------------------------------


def test_an_order_completes_when_its_last_milestone_is_released(server: Server) -> None:
    client, freelancer, order = funded(server)
    extra = ok(
        act(server, client, order["id"], "milestones", title="第二阶段", amount_fen=30_000), 201
    )
    assert extra["status"] == "created" and extra["position"] == 2
    deliver(server, freelancer, order["id"])
    after_first = ok(act(server, client, order["id"], "accept"))
    assert after_first["status"] == "in_progress"
    funding = ok(act(server, client, order["id"], "fund", milestone_id=extra["id"]))
    assert funding["milestone"]["status"] == "funded"
    deliver(server, freelancer, order["id"])
    assert ok(act(server, client, order["id"], "accept"))["status"] == "completed"
    assert balances(server)[f"freelancer:{freelancer['id']}:available"] == 110_000


# ---- privacy, mass assignment, change log ---------------------------------------------------


def test_milestones_and_deliveries_are_private_to_the_parties(sqlite_server: Server) -> None:
    _client, _freelancer, order = delivered(sqlite_server)
    stranger = sqlite_server.register("freelancer")
    for what in ("milestones", "deliveries"):
        response = sqlite_server.request(
            "GET", f"/v1/orders/{order['id']}/{what}", stranger["token"]
        )
        assert response.status_code == 404


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("fund", {"status": "funded"}),
        ("fund", {"amount_fen": 1}),
        ("milestones", {"title": "x", "amount_fen": 1, "status": "funded"}),
        ("deliveries", {"note": "x", "files": [], "milestone_id": "x"}),
        ("revise", {"note": "x", "status": "completed"}),
        ("dispute", {"reason": "x", "to_freelancer_pct": 100}),
    ],
)
def test_fields_callers_may_not_set_are_refused(
    sqlite_server: Server, action: str, body: dict[str, Any]
) -> None:
    client, _freelancer, order = funded(sqlite_server)
    assert act(sqlite_server, client, order["id"], action, **body).status_code == 422


def test_money_changes_reach_only_their_owners(server: Server) -> None:
    client, freelancer, order = completed(server)
    [milestone] = milestones_of(server, client, order["id"])
    [entry] = changes_of(server, "ledger_entry", f"release:{milestone['id']}:cr")
    assert entry["audience"] == {freelancer["id"]} and not entry["public"]
    milestone_changes = changes_of(server, "milestone", milestone["id"])
    assert all(c["audience"] == {client["id"], freelancer["id"]} for c in milestone_changes)
    assert milestone_changes[-1]["payload"]["status"] == "released"
