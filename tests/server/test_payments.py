"""The sandbox provider's signed notification: escrow is credited only for a correctly
signed, fresh, matching, first-seen event — and exactly once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from jiedan_cli.server.db.tables import audit_log, milestones, payment_events, payment_intents
from jiedan_cli.server.payments.sandbox import notification_for, sign
from jiedan_cli.server.services import escrow, funding
from jiedan_cli.server.services.actors import Actor
from tests.server.conftest import Server
from tests.server.escrow_flow import act, awarded, balances, ok, transfers
from tests.server.statements import Statements

NOTIFY = "/v1/payments/sandbox/notify"


def pending_intent(server: Server) -> tuple[dict[str, Any], dict[str, Any]]:
    """(order, intent) with the intent created but no notification delivered yet."""
    order, intent, _client = pending_intent_of(server)
    return order, intent


def pending_intent_of(server: Server) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    client, _freelancer, order = awarded(server)
    actor = Actor(client["id"], client["email"], client["name"], frozenset(client["roles"]))
    with server.db.write() as conn:
        started = escrow.fund_order(conn, actor, order_id=order["id"], now=server.clock.now)
    assert started["payment_intent"]["status"] == "pending"
    return order, started["payment_intent"], client


def notify(server: Server, body: bytes, headers: dict[str, str]) -> Any:
    return server.client.post(
        NOTIFY, content=body, headers={"content-type": "application/json", **headers}
    )


def signed(
    server: Server, intent: dict[str, Any], **overrides: Any
) -> tuple[bytes, dict[str, str]]:
    return notification_for(
        server.settings.sandbox_webhook_secret,
        intent_id=intent["id"],
        amount_fen=overrides.pop("amount_fen", intent["amount_fen"]),
        now=overrides.pop("now", server.clock.now),
        **overrides,
    )


def order_status(server: Server, order_id: str, token: str | None = None) -> str:
    return str(server.request("GET", f"/v1/orders/{order_id}", token).json()["status"])


def escrowed(server: Server, intent: dict[str, Any]) -> int:
    return balances(server).get(f"escrow:{intent['milestone_id']}", 0)


def test_fund_over_http_delivers_the_notification_after_commit(server: Server) -> None:
    client, _freelancer, order = awarded(server)
    funded = ok(act(server, client, order["id"], "fund"))
    assert funded["payment_intent"]["status"] == "succeeded"
    assert funded["milestone"]["status"] == "funded"
    assert funded["order"]["status"] == "in_progress"
    assert balances(server)[f"escrow:{funded['milestone']['id']}"] == 80_000
    assert balances(server)["external:sandbox"] == -80_000


def test_a_good_notification_credits_escrow_and_starts_the_work(server: Server) -> None:
    _order, intent = pending_intent(server)
    assert escrowed(server, intent) == 0
    response = notify(server, *signed(server, intent))
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "funded"
    assert escrowed(server, intent) == intent["amount_fen"]
    with server.db.read() as conn:
        milestone = conn.execute(
            select(milestones).where(milestones.c.id == intent["milestone_id"])
        ).one()
        stored = conn.execute(
            select(payment_intents.c.status).where(payment_intents.c.id == intent["id"])
        ).scalar()
    assert milestone.status == "funded" and milestone.funded_at is not None
    assert stored == "succeeded"


def test_a_replayed_event_is_a_no_op(server: Server) -> None:
    _order, intent = pending_intent(server)
    body, headers = signed(server, intent)
    assert notify(server, body, headers).json()["outcome"] == "funded"
    before = balances(server)
    again = notify(server, body, headers)
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert balances(server) == before


def test_a_second_event_for_a_paid_intent_credits_nothing(server: Server) -> None:
    _order, intent = pending_intent(server)
    notify(server, *signed(server, intent, event_id="evt_one"))
    other = notify(server, *signed(server, intent, event_id="evt_two"))
    assert other.json()["outcome"] == "duplicate"
    assert escrowed(server, intent) == intent["amount_fen"]
    with server.db.read() as conn:
        assert len(conn.execute(select(payment_events)).all()) == 2


def test_a_bad_signature_is_401_and_credits_nothing(server: Server) -> None:
    _order, intent = pending_intent(server)
    body, headers = signed(server, intent)
    forged = {**headers, "X-Sandbox-Signature": sign("not-the-secret", body)}
    response = notify(server, body, forged)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "bad_signature"
    assert escrowed(server, intent) == 0
    with server.db.read() as conn:
        refused = conn.execute(
            select(audit_log.c.action).where(audit_log.c.action == "payment.notification_refused")
        ).all()
    assert len(refused) == 1


def test_a_missing_signature_is_401(sqlite_server: Server) -> None:
    _order, intent = pending_intent(sqlite_server)
    body, headers = signed(sqlite_server, intent)
    response = notify(sqlite_server, body, {"X-Sandbox-Timestamp": headers["X-Sandbox-Timestamp"]})
    assert response.status_code == 401


def test_a_stale_or_future_timestamp_is_400(server: Server) -> None:
    _order, intent = pending_intent(server)
    for skew in (timedelta(seconds=-301), timedelta(seconds=301)):
        response = notify(server, *signed(server, intent, now=server.clock.now + skew))
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "bad_notification"
    assert escrowed(server, intent) == 0


def test_a_timestamp_within_300_seconds_is_accepted(sqlite_server: Server) -> None:
    _order, intent = pending_intent(sqlite_server)
    late = sqlite_server.clock.now - timedelta(seconds=299)
    assert notify(sqlite_server, *signed(sqlite_server, intent, now=late)).status_code == 200


def test_a_fresh_header_cannot_revive_an_old_body(sqlite_server: Server) -> None:
    _order, intent = pending_intent(sqlite_server)
    old = sqlite_server.clock.now - timedelta(hours=1)
    body, headers = signed(sqlite_server, intent, now=old)
    fresh = {**headers, "X-Sandbox-Timestamp": str(int(sqlite_server.clock.now.timestamp()))}
    assert notify(sqlite_server, body, fresh).status_code == 400
    assert escrowed(sqlite_server, intent) == 0


def test_an_amount_other_than_the_intents_is_refused(server: Server) -> None:
    _order, intent = pending_intent(server)
    response = notify(server, *signed(server, intent, amount_fen=intent["amount_fen"] - 1))
    assert response.status_code == 409
    assert escrowed(server, intent) == 0
    # …and the genuine notification still works afterwards: nothing was recorded.
    assert notify(server, *signed(server, intent)).json()["outcome"] == "funded"


def test_an_unknown_intent_is_404(sqlite_server: Server) -> None:
    body, headers = notification_for(
        sqlite_server.settings.sandbox_webhook_secret,
        intent_id="pi_sbx_nope",
        amount_fen=100,
        now=sqlite_server.clock.now,
    )
    assert notify(sqlite_server, body, headers).status_code == 404


def test_a_signed_body_that_is_not_a_notification_is_400(sqlite_server: Server) -> None:
    secret = sqlite_server.settings.sandbox_webhook_secret
    ts = str(int(sqlite_server.clock.now.timestamp()))
    for body in (b"not json", json.dumps({"ts": int(ts)}).encode(), b"[]"):
        headers = {"X-Sandbox-Signature": sign(secret, body), "X-Sandbox-Timestamp": ts}
        response = notify(sqlite_server, body, headers)
        assert response.status_code == 400, body


def test_money_paid_after_the_order_was_cancelled_goes_straight_back(server: Server) -> None:
    order, intent, client = pending_intent_of(server)
    assert ok(act(server, client, order["id"], "cancel"))["status"] == "cancelled"
    response = notify(server, *signed(server, intent))
    assert response.json()["outcome"] == "refunded"
    assert escrowed(server, intent) == 0
    assert balances(server)["external:sandbox"] == 0
    kinds = [t.kind for t in transfers(server, milestone_id=intent["milestone_id"])]
    assert sorted(kinds) == ["fund", "refund"]


def test_pending_intents_left_by_a_crash_are_delivered_later(server: Server) -> None:
    _order, intent = pending_intent(server)
    assert server.app.state.jobs.run_once()["jiedan_cli.server.jobs.sandbox_payments"] == 1
    assert escrowed(server, intent) == intent["amount_fen"]
    assert funding.deliver_pending_notifications(server.db, server.settings, server.clock.now) == 0


def test_funding_twice_while_pending_reuses_the_intent(sqlite_server: Server) -> None:
    client, _freelancer, order = awarded(sqlite_server)
    actor = Actor(client["id"], client["email"], client["name"], frozenset(client["roles"]))
    with sqlite_server.db.write() as conn:
        first = escrow.fund_order(conn, actor, order_id=order["id"], now=sqlite_server.clock.now)
    with sqlite_server.db.write() as conn:
        second = escrow.fund_order(conn, actor, order_id=order["id"], now=sqlite_server.clock.now)
    assert first["payment_intent"]["id"] == second["payment_intent"]["id"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(0, 10_000), flip=st.integers(1, 255))
def test_any_altered_byte_is_refused(sqlite_server: Server, position: int, flip: int) -> None:
    secret = sqlite_server.settings.sandbox_webhook_secret
    body, headers = notification_for(
        secret, intent_id="pi_sbx_x", amount_fen=100, now=sqlite_server.clock.now
    )
    altered = bytearray(body)
    altered[position % len(altered)] ^= flip
    response = notify(sqlite_server, bytes(altered), headers)
    assert response.status_code == 401


def test_a_fund_request_sends_35_statements_on_two_connections(server: Server) -> None:
    """POST …/fund: the gated write that makes the intent, then its own notification (the
    webhook's verification and credit) with the answer read in that credit's transaction.
    Before: 44 statements on 4 checkouts (a read listing the order's pending intents, and
    one more read for the answer, each view 4 SELECTs)."""
    client, _freelancer, order = awarded(server)
    checkouts: list[object] = []

    def checked_out(*args: object) -> None:
        checkouts.append(args)

    event.listen(server.db.engine.pool, "checkout", checked_out)
    try:
        with Statements(server.db) as sent:
            funded = ok(act(server, client, order["id"], "fund"))
    finally:
        event.remove(server.db.engine.pool, "checkout", checked_out)
    assert funded["payment_intent"]["status"] == "succeeded"
    assert funded["milestone"]["status"] == "funded"
    assert funded["order"]["status"] == "in_progress"
    assert len(checkouts) == 2
    # PostgreSQL also locks the ledger accounts it moves (one SELECT … FOR UPDATE).
    assert len(sent) == (35 if server.db.engine.dialect.name == "postgresql" else 34), sent


def test_a_fund_request_answers_as_it_did_when_it_read_after_the_credit(server: Server) -> None:
    """The answer built in the credit's transaction (one joined SELECT) is the one a read
    after it gives: GET of the order and milestones, and the coupon, agree."""
    client, _freelancer, order = awarded(server)
    funded = ok(act(server, client, order["id"], "fund"))
    with server.db.read() as conn:
        again = funding.funding_view(
            conn, order["id"], funded["milestone"]["id"], funded["payment_intent"]["id"]
        )
    assert funded == json.loads(json.dumps(again))
    listed = server.request("GET", f"/v1/orders/{order['id']}/milestones", client["token"]).json()
    assert [m for m in listed if m["id"] == funded["milestone"]["id"]] == [funded["milestone"]]


def test_a_fund_request_delivers_its_own_pending_intent_left_by_a_crash(server: Server) -> None:
    """Funding again while the intent is pending (its notification lost) answers that intent
    and delivers it."""
    order, intent, client = pending_intent_of(server)
    funded = ok(act(server, client, order["id"], "fund"))
    assert funded["payment_intent"]["id"] == intent["id"]
    assert funded["payment_intent"]["status"] == "succeeded"
    assert funded["order"]["status"] == "in_progress"
    assert escrowed(server, intent) == intent["amount_fen"]


def test_a_fund_request_leaves_the_orders_other_pending_intents_to_the_job(
    server: Server,
) -> None:
    """A fund request delivers its own intent; another milestone's intent left pending on
    the same order is the scheduled job's to sweep (#8)."""
    order, left, client = pending_intent_of(server)
    second = ok(
        act(server, client, order["id"], "milestones", title="第二阶段", amount_fen=30_000), 201
    )
    funded = ok(act(server, client, order["id"], "fund", milestone_id=second["id"]))
    assert funded["milestone"]["status"] == "funded"
    assert funded["payment_intent"]["status"] == "succeeded"
    assert escrowed(server, left) == 0
    assert server.app.state.jobs.run_once()["jiedan_cli.server.jobs.sandbox_payments"] == 1
    assert escrowed(server, left) == left["amount_fen"]
