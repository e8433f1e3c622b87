"""The risk engine's facts and recorded assessments (#12), on SQLite and PostgreSQL: situations
built through the real API are read right by `read_facts`, in one statement whatever the
action; an action through the API records one assessment with the rules that fired, and the
decision is enforced (held or blocked: tests/server/test_holds.py) and the assessment of an
action stopped is kept with its hold."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import event, select

from jiedan_cli.domain.risk import Action, Facts, RiskLimits, assess
from jiedan_cli.server.db.tables import bids, risk_assessments, risk_holds
from jiedan_cli.server.services.devices import INSTALL_HEADER, record_link
from jiedan_cli.server.services.risk_facts import read_facts
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import completed
from tests.server.market import award, order_body, place_bid, post_order

PASSWORD = "correct horse 42"


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    """The app on SQLite and on PostgreSQL, recording assessments (JIEDAN_SERVER_RISK_RECORD)."""
    srv = make_server(database_url, risk_record=True)
    with srv.client:
        yield srv


@pytest.fixture
def lenient_server(database_url: str) -> Iterator[Server]:
    """Recording assessments at thresholds nothing reaches, for tests that only read facts or
    count assessments: a young test account's large order would otherwise be held."""
    srv = make_server(database_url, risk_record=True, risk_review_at=999, risk_block_at=999)
    with srv.client:
        yield srv


@pytest.fixture
def default_server(sqlite_url: str) -> Iterator[Server]:
    """The app as configured by default."""
    srv = make_server(sqlite_url)
    with srv.client:
        yield srv


_numbers = count(1)


def register(server: Server, role: str = "both", install: str | None = None) -> dict[str, Any]:
    n = next(_numbers)
    body = {"email": f"risk{n}@example.com", "name": f"用户{n}", "password": PASSWORD, "role": role}
    headers = {INSTALL_HEADER: install} if install else {}
    answer = server.client.post("/v1/auth/register", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return {**answer.json()["user"], "token": answer.json()["token"]}


def facts(
    server: Server,
    user: dict[str, Any],
    action: Action,
    *,
    amount_fen: int = 0,
    counterpart_id: str | None = None,
    device_id: str = "",
    address: str = "",
) -> Facts:
    with server.db.read() as conn:
        return read_facts(
            conn,
            user_id=user["id"],
            action=action,
            amount_fen=amount_fen,
            counterpart_id=counterpart_id,
            device_id=device_id,
            address=address,
            now=server.clock(),
            limits=RiskLimits(),
        )


def assessments(server: Server, user_id: str) -> list[Any]:
    with server.db.read() as conn:
        return list(
            conn.execute(
                select(risk_assessments)
                .where(risk_assessments.c.user_id == user_id)
                .order_by(risk_assessments.c.created_at, risk_assessments.c.id)
            ).all()
        )


@contextmanager
def statements(server: Server) -> Iterator[list[str]]:
    seen: list[str] = []

    def count_it(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = server.db.engine
    event.listen(engine, "before_cursor_execute", count_it)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count_it)


def test_bids_in_the_last_minute_are_counted_and_age_out(server: Server) -> None:
    client, freelancer = register(server, "client"), register(server, "freelancer")
    orders = [post_order(server, client) for _ in range(3)]
    for order in orders:
        place_bid(server, freelancer, order["id"], amount_fen=80_000)
    now = facts(server, freelancer, Action.BID, amount_fen=80_000)
    assert now.bids_in_window == 3
    assert now.actions_in_burst_window == 3
    assert now.usual_amount_fen is None  # no rule watching a bid reads the norm: not read
    server.clock.advance(minutes=2)
    later = facts(server, freelancer, Action.BID)
    assert later.bids_in_window == 0
    assert later.actions_in_burst_window == 3  # still within the hour


def test_the_usual_amount_is_the_median_of_three_or_more(server: Server) -> None:
    client = register(server, "client")
    for top in (100_000, 200_000):
        post_order(server, client, budget_min_fen=50_000, budget_max_fen=top)
    assert facts(server, client, Action.POST).usual_amount_fen is None  # two: no norm yet
    post_order(server, client, budget_min_fen=50_000, budget_max_fen=120_000)
    assert facts(server, client, Action.POST).usual_amount_fen == 120_000
    post_order(server, client, budget_min_fen=50_000, budget_max_fen=130_000)
    assert facts(server, client, Action.POST).usual_amount_fen == 125_000  # even: the two


def test_quick_cancels_and_those_posted_at_night(server: Server) -> None:
    client = register(server, "client")

    def posted_and_cancelled(after: timedelta) -> None:
        order = post_order(server, client)
        server.clock.advance(seconds=after.total_seconds())
        path = f"/v1/orders/{order['id']}/cancel"
        assert server.request("POST", path, client["token"]).status_code == 200

    posted_and_cancelled(timedelta(minutes=5))  # 09:00 UTC, 17:00 China: quick, by day
    posted_and_cancelled(timedelta(minutes=45))  # not quick
    # 17:30 UTC is 01:30 China time: at night
    server.clock.now = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
    posted_and_cancelled(timedelta(minutes=1))
    posted_and_cancelled(timedelta(minutes=2))
    read = facts(server, client, Action.POST, amount_fen=120_000)
    assert (read.quick_cancels, read.night_quick_cancels) == (3, 2)
    assert read.orders_posted_in_window == 2  # the two night ones, within the hour
    server.clock.advance(seconds=RiskLimits().cancel_window.total_seconds() + 1)
    assert facts(server, client, Action.POST).quick_cancels == 0


def test_a_new_accounts_large_order_is_held_and_its_assessment_kept(server: Server) -> None:
    client = register(server, "client")
    body = order_body(budget_min_fen=500_000, budget_max_fen=600_000)
    answer = server.request("POST", "/v1/orders", client["token"], json=body)
    assert answer.status_code == 202, answer.text  # held for review
    assert answer.json()["status"] == "held" and "新账号大额" in answer.json()["reason"]
    read = facts(server, client, Action.POST, amount_fen=600_000)
    assert read.account_age < timedelta(minutes=1) and not read.verified
    assert read.orders_posted_in_window == 0  # held: not posted
    post = [row for row in assessments(server, client["id"]) if row.action == "post"]
    assert len(post) == 1
    row = post[0]
    with server.db.read() as conn:
        hold = conn.execute(select(risk_holds).where(risk_holds.c.id == answer.json()["id"])).one()
    assert row.object_id == hold.object_id is not None
    assert row.decision == "review" and row.score == 50
    assert [f["name"] for f in row.fired] == ["new_account_large_amount"]
    assert row.facts["amount_fen"] == 600_000
    assert row.facts["orders_posted_in_window"] == 0  # the action is not in its own facts
    # recorded: what the rules watching a post read, not the facts no rule of it reads
    assert row.facts["quick_cancels"] == 0
    assert "payout_account_age" not in row.facts and "bids_in_window" not in row.facts


def test_two_accounts_on_one_device(server: Server) -> None:
    first = register(server, install="shared-device-01")
    second = register(server, install="shared-device-01")
    register(server, install="another-device-02")
    read = facts(server, second, Action.BID, device_id="shared-device-01")
    assert read.accounts_on_device == 2
    assert facts(server, first, Action.BID, device_id="").accounts_on_device == 1
    # the registration itself was assessed with its install: the first saw itself alone
    first_row, second_row = (assessments(server, u["id"])[0] for u in (first, second))
    assert (first_row.action, second_row.action) == ("register", "register")
    assert first_row.facts["accounts_on_device"] == 1
    assert second_row.facts["accounts_on_device"] == 2


def test_a_linked_counterpart_on_award_fires_and_the_award_is_held(server: Server) -> None:
    client = register(server, "client", install="one-install-01")
    freelancer = register(server, "freelancer", install="one-install-01")
    stranger = register(server, "freelancer", install="own-install-02")
    order = post_order(server, client)
    bid = place_bid(server, freelancer, order["id"])
    place_bid(server, stranger, order["id"])
    read = facts(
        server, client, Action.AWARD, amount_fen=bid["amount_fen"], counterpart_id=freelancer["id"]
    )
    assert read.counterpart_linked and read.fast_cycles_with_counterpart == 0
    assert not facts(server, client, Action.AWARD).counterpart_linked  # no counterpart
    headers = {INSTALL_HEADER: "one-install-01"}
    answer = server.request(
        "POST",
        f"/v1/orders/{order['id']}/award",
        client["token"],
        json={"bid_id": bid["id"]},
        headers=headers,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "held"
    (row,) = [r for r in assessments(server, client["id"]) if r.action == "award"]
    assert row.object_id == order["id"]
    assert "linked_counterpart" in [f["name"] for f in row.fired]
    assert row.facts["counterpart_linked"] is True
    assert row.facts["amount_fen"] == bid["amount_fen"]


@pytest.mark.parametrize("action", list(Action))
def test_facts_are_one_statement_for_every_action(lenient_server: Server, action: Action) -> None:
    server = lenient_server
    client, freelancer = register(server, "client"), register(server, "freelancer")
    order = post_order(server, client)
    award(server, client, order["id"], place_bid(server, freelancer, order["id"])["id"])
    with statements(server) as seen:
        facts(
            server,
            client,
            action,
            amount_fen=10_000,
            counterpart_id=freelancer["id"],
            device_id="some-device-01",
            address="198.51.100.9",
        )
    selects = [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 1, selects


def test_every_watched_action_through_the_api_records_one_assessment(
    lenient_server: Server,
) -> None:
    server = lenient_server
    client, freelancer = register(server, "client"), register(server, "freelancer")
    order = post_order(server, client)
    bid = place_bid(server, freelancer, order["id"])
    message = server.request(
        "POST", f"/v1/orders/{order['id']}/messages", freelancer["token"], json={"text": "你好"}
    )
    assert message.status_code == 201, message.text
    award(server, client, order["id"], bid["id"])
    funded = server.request("POST", f"/v1/orders/{order['id']}/fund", client["token"])
    assert funded.status_code in (200, 201, 202), funded.text
    client_actions = [r.action for r in assessments(server, client["id"])]
    freelancer_actions = [r.action for r in assessments(server, freelancer["id"])]
    assert client_actions == ["register", "post", "award", "fund"]
    assert freelancer_actions == ["register", "bid", "message"]
    for row in assessments(server, client["id"]) + assessments(server, freelancer["id"]):
        assert row.decision in ("allow", "review", "block")
        assert row.score == sum(f["weight"] for f in row.fired)
        assert set(row.facts) >= {"account_age", "accounts_on_address", "amount_fen"}


def test_a_withdrawal_is_recorded_and_a_fast_cycle_counted(lenient_server: Server) -> None:
    server = lenient_server
    client, freelancer, order = completed(server)  # funded and accepted at once
    answer = server.request(
        "POST", "/v1/earnings/withdraw", freelancer["token"], json={"amount_fen": 50_000}
    )
    assert answer.status_code == 201, answer.text
    (row,) = [r for r in assessments(server, freelancer["id"]) if r.action == "withdraw"]
    assert row.object_id == answer.json()["id"]
    assert row.facts["amount_fen"] == 50_000 and row.facts["withdrawals_in_window"] == 0
    assert facts(server, freelancer, Action.WITHDRAW).withdrawals_in_window == 1
    # the next award between the two: one earlier order funded and accepted within 30 min
    cycle = facts(server, client, Action.AWARD, counterpart_id=freelancer["id"])
    assert cycle.fast_cycles_with_counterpart == 1
    assert (
        facts(
            server, freelancer, Action.FUND, counterpart_id=client["id"]
        ).fast_cycles_with_counterpart
        == 1
    )
    server.clock.advance(days=31)
    assert (
        facts(
            server, client, Action.AWARD, counterpart_id=freelancer["id"]
        ).fast_cycles_with_counterpart
        == 0
    )
    assert order["status"] in ("in_progress", "completed")


def test_by_default_every_watched_action_is_recorded(default_server: Server) -> None:
    """On by default (JIEDAN_SERVER_RISK_RECORD): the facts read is cheap enough (P6)."""
    client, freelancer = register(default_server, "client"), register(default_server, "freelancer")
    order = post_order(default_server, client)
    bid = place_bid(default_server, freelancer, order["id"])
    assert [r.action for r in assessments(default_server, client["id"])] == ["register", "post"]
    (row,) = [r for r in assessments(default_server, freelancer["id"]) if r.action == "bid"]
    assert row.object_id == bid["id"]


def test_turned_off_nothing_is_recorded(sqlite_url: str) -> None:
    quiet = make_server(sqlite_url, risk_record=False)
    with quiet.client:
        client, freelancer = register(quiet, "client"), register(quiet, "freelancer")
        place_bid(quiet, freelancer, post_order(quiet, client)["id"])
        assert assessments(quiet, client["id"]) == []
        assert assessments(quiet, freelancer["id"]) == []


def test_a_shared_address_alone_links_no_counterpart(server: Server) -> None:
    """An office, a campus or a 网吧 puts many people behind one address: only a shared
    install links two accounts (shared_address stays the weaker rule of its own)."""
    client = register(server, "client", install="office-pc-0001")
    colleague = register(server, "freelancer", install="office-pc-0002")
    now = server.clock()
    with server.db.write() as conn:
        for user in (client, colleague):
            record_link(conn, user["id"], "", "198.51.100.7", now=now)
    read = facts(
        server, client, Action.AWARD, counterpart_id=colleague["id"], address="198.51.100.7"
    )
    assert not read.counterpart_linked
    assert read.accounts_on_address >= 2  # the address is still counted, by its own rule
    assert "linked_counterpart" not in fired(Action.AWARD, read)
    with server.db.write() as conn:
        record_link(conn, colleague["id"], "office-pc-0001", "198.51.100.7", now=now)
    linked = facts(server, client, Action.AWARD, counterpart_id=colleague["id"])
    assert linked.counterpart_linked
    assert "linked_counterpart" in fired(Action.AWARD, linked)


def test_an_unfamiliar_network_fires_only_with_history_elsewhere(server: Server) -> None:
    user = register(server, "both")
    # no sighting with an address yet (the test client has none): not unfamiliar
    assert not facts(server, user, Action.WITHDRAW, address="203.0.113.9").unfamiliar_location
    with server.db.write() as conn:
        record_link(conn, user["id"], "", "198.51.100.7", now=server.clock())
    home = facts(server, user, Action.WITHDRAW, address="198.51.100.200")  # same /16
    assert not home.unfamiliar_location
    assert "unfamiliar_location" not in fired(Action.WITHDRAW, home)
    away = facts(server, user, Action.WITHDRAW, address="203.0.113.9")
    assert away.unfamiliar_location
    assert "unfamiliar_location" in fired(Action.WITHDRAW, away)
    assert not facts(server, user, Action.WITHDRAW, address="").unfamiliar_location
    # seen at home longer ago than location_window: home is unfamiliar again
    server.clock.advance(seconds=RiskLimits().location_window.total_seconds() + 1)
    assert facts(server, user, Action.WITHDRAW, address="198.51.100.9").unfamiliar_location


def test_bids_with_masked_contacts_are_flagged_and_counted_as_leaks(server: Server) -> None:
    client, freelancer = register(server, "client"), register(server, "freelancer")
    leaky = "电话 13812345678 细聊"
    for n in range(3):
        order = post_order(server, client)
        bid = place_bid(server, freelancer, order["id"], message=leaky if n < 2 else "三天交付")
        assert "13812345678" not in bid["message"]
    with server.db.read() as conn:
        flags = conn.execute(
            select(bids.c.flagged).where(bids.c.freelancer_id == freelancer["id"])
        ).scalars()
        assert sorted(flags) == [False, True, True]
    read = facts(server, freelancer, Action.BID)
    assert read.contact_leaks == 2
    assert "contact_leaks" not in fired(Action.BID, read)  # 3 fire it
    place_bid(server, freelancer, post_order(server, client)["id"], message=leaky)
    third = facts(server, freelancer, Action.BID)
    assert third.contact_leaks == 3 and "contact_leaks" in fired(Action.BID, third)
    server.clock.advance(seconds=RiskLimits().leak_window.total_seconds() + 1)
    assert facts(server, freelancer, Action.BID).contact_leaks == 0


def fired(action: Action, read: Facts) -> set[str]:
    return {f.name for f in assess(action, read).fired}
