"""The sync engine against the real server: operations queued offline are applied exactly
once, rejections never block the queue, and the replica ends up as the server sees it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.domain.errors import Offline
from jiedan_cli.server.db.tables import bids, messages, orders, sync_ops
from jiedan_cli.store.outbox import get_operation
from jiedan_cli.store.queries import list_bids
from jiedan_cli.store.verdicts import sync_status
from jiedan_cli.sync.engine import quick_sync, sync
from jiedan_cli.sync.progress import SyncProgress
from jiedan_cli.sync.retry import RetryPolicy
from tests.sync.conftest import LiveServer, Replica


def market(make_replica: Any) -> tuple[Replica, Replica, str]:
    """A client's replica with one synced open order, and a freelancer's replica."""
    poster = make_replica()
    order_id = poster.post_order()
    assert poster.sync().pushed == 1
    freelancer = make_replica()
    freelancer.sync()
    return poster, freelancer, order_id


def test_operations_queued_offline_are_applied_once_by_the_next_sync(
    live_server: LiveServer, make_replica: Any
) -> None:
    _poster, freelancer, order_id = market(make_replica)
    bid_id = freelancer.bid(order_id, amount_fen=480_000)
    message_id = freelancer.message(order_id, "你好，我做过三个类似的小程序。")
    assert freelancer.states()["pending"] == 2

    report = freelancer.sync()

    assert report.as_dict() == {"pushed": 2, "rejected": 0, "pulled": report.pulled, "pending": 0}
    assert report.complete and report.pulled >= 2
    assert live_server.count(bids, bids.c.id == bid_id) == 1
    assert live_server.count(messages, messages.c.id == message_id) == 1
    (mine,) = list_bids(freelancer.conn)
    assert (mine["id"], mine["amount_fen"], mine["sync_state"]) == (bid_id, 480_000, "synced")
    assert freelancer.sync().as_dict() == {"pushed": 0, "rejected": 0, "pulled": 0, "pending": 0}


def test_an_always_rejected_operation_is_kept_visible_and_the_queue_behind_it_drains(
    live_server: LiveServer, make_replica: Any
) -> None:
    _poster, freelancer, order_id = market(make_replica)
    doomed = freelancer.bid("0190f0f0-0000-7000-8000-000000000000")  # no such order
    behind = [freelancer.bid(order_id), freelancer.message(order_id, "在吗？")]

    report = freelancer.sync()

    assert (report.pushed, report.rejected, report.pending) == (2, 1, 0)
    assert live_server.count(bids, bids.c.id == doomed) == 0
    assert live_server.count(bids, bids.c.id == behind[0]) == 1
    assert live_server.count(messages, messages.c.id == behind[1]) == 1
    status = sync_status(freelancer.conn)
    assert status["pending"] == 0
    assert [(r["kind"], r["code"]) for r in status["rejected"]] == [("place_bid", "not_found")]
    assert status["rejected"][0]["reason"]
    shown = {b["id"]: b for b in list_bids(freelancer.conn)}
    assert shown[doomed]["sync_state"] == "rejected" and shown[doomed]["reject_reason"]
    # a later sync neither retries it nor counts it again
    assert freelancer.sync().as_dict() == {"pushed": 0, "rejected": 0, "pulled": 0, "pending": 0}


def test_an_unreachable_server_raises_offline_and_loses_nothing(
    live_server: LiveServer, make_replica: Any
) -> None:
    _poster, freelancer, order_id = market(make_replica)
    bid_id = freelancer.bid(order_id)
    freelancer.use("http://127.0.0.1:9")  # discard port: nothing listens

    with pytest.raises(Offline):
        freelancer.sync(deadline=0.5)
    started = time.monotonic()
    with pytest.raises(Offline):  # no deadline: the policy's patience ends the waiting
        freelancer.sync(deadline=None, policy=RetryPolicy(first=0.02, cap=0.1, give_up_after=0.5))
    assert time.monotonic() - started < 5
    report = quick_sync(freelancer.conn, freelancer.client, deadline=0.3)

    assert not report.complete and report.error and report.pending == 1
    freelancer.use(live_server.url)
    assert freelancer.sync().pushed == 1
    assert live_server.count(bids, bids.c.id == bid_id) == 1


def test_a_push_is_batched_by_count_and_by_bytes_and_sent_gzipped(
    live_server: LiveServer, make_replica: Any
) -> None:
    from jiedan_cli.sync.push import BatchLimits

    _poster, freelancer, order_id = market(make_replica)
    freelancer.bid(order_id)  # a freelancer writes on an order once they have bid on it
    freelancer.sync()
    for n in range(30):
        freelancer.message(order_id, f"第{n}条：" + "细节" * 400)  # ~2.4 KB each
    sent: list[Any] = []
    freelancer.client.event_hooks["request"].append(sent.append)
    events: list[SyncProgress] = []

    report = freelancer.sync(
        limits=BatchLimits(max_ops=12, max_bytes=16_000), progress=events.append
    )

    pushes = [r for r in sent if r.url.path == "/v1/sync/push"]
    assert report.pushed == 30 and len(pushes) >= 5  # 16 KB of ~2.4 KB ops: ≤ 6 a batch
    assert all(r.headers["content-encoding"] == "gzip" for r in pushes)
    assert all(len(r.content) < 16_000 for r in pushes)
    assert live_server.count(messages, messages.c.order_id == order_id) == 30
    push_events = [e for e in events if e.phase == "push"]
    assert push_events[-1] == SyncProgress("push", 30, 30)
    assert [e.done for e in push_events] == sorted(e.done for e in push_events)
    assert any(e.phase == "pull" for e in events)


def test_messages_past_the_servers_per_push_cap_go_in_the_next_push_not_a_413(
    live_server: LiveServer, make_replica: Any
) -> None:
    # A complexity test (performance.md P4: ≤ 1 request per 100 operations): the server takes
    # at most 100 messages a push (JIEDAN_SERVER_PUSH_MAX_MESSAGES); a batch over that was a
    # 413, and the halving after it made 13 pushes of 1,000 operations instead of 6.
    _poster, freelancer, order_id = market(make_replica)
    freelancer.bid(order_id)
    freelancer.sync()
    for n in range(250):
        freelancer.message(order_id, f"第{n}条")
    sent: list[Any] = []
    freelancer.client.event_hooks["request"].append(sent.append)

    report = freelancer.sync()

    pushes = [r for r in sent if r.url.path == "/v1/sync/push"]
    assert report.pushed == 250 and report.rejected == 0
    assert len(pushes) == 3  # 100 + 100 + 50, never refused
    assert live_server.count(messages, messages.c.order_id == order_id) == 250


def test_each_operation_is_recorded_once_on_the_server(
    live_server: LiveServer, make_replica: Any
) -> None:
    _poster, freelancer, order_id = market(make_replica)
    freelancer.bid(order_id)
    freelancer.sync()
    op = get_operation(freelancer.conn, 1)
    assert op is not None and op.state == "done"
    assert live_server.count(sync_ops, sync_ops.c.op_id == op.op_id) == 1
    assert live_server.rows(select(orders.c.id))  # the order the bid went to


def test_an_operation_the_server_cannot_even_read_is_rejected_here_and_the_rest_drain(
    live_server: LiveServer, make_replica: Any
) -> None:
    """A malformed operation (an intent name too long) or one too large for any request makes
    the server refuse the whole push (422, 413). The engine narrows the batch down to it,
    rejects it locally, and renumbers the operations behind it into its unused seq."""
    _poster, freelancer, order_id = market(make_replica)
    before = freelancer.bid(order_id)
    malformed = freelancer.queue("x" * 41, None, None)
    huge = freelancer.message(order_id, "大" * 600_000)  # > 1 MiB as UTF-8 JSON
    after = freelancer.message(order_id, "这条要送达")

    report = freelancer.sync()

    assert (report.pushed, report.rejected, report.pending) == (2, 2, 0)
    assert live_server.count(bids, bids.c.id == before) == 1
    assert live_server.count(messages, messages.c.id == after) == 1
    assert live_server.count(messages, messages.c.id == huge) == 0
    codes = {r["op_id"]: r["code"] for r in sync_status(freelancer.conn)["rejected"]}
    assert codes[malformed] == "invalid_input"
    assert list(codes.values()).count("too_large") == 1


def test_the_local_database_never_holds_the_token(
    live_server: LiveServer, make_replica: Any
) -> None:
    _poster, freelancer, order_id = market(make_replica)
    freelancer.bid(order_id)
    freelancer.sync()
    freelancer.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    token = freelancer.user["token"].encode()
    for path in freelancer.path.parent.glob(f"{freelancer.path.name}*"):
        assert token not in path.read_bytes(), path


def test_a_replica_synced_with_another_accounts_token_is_refused_not_mixed(
    live_server: LiveServer, make_replica: Any
) -> None:
    from jiedan_cli.domain.errors import Refused
    from jiedan_cli.sync.http import connect

    _poster, freelancer, order_id = market(make_replica)
    stranger = live_server.register()
    bid_id = freelancer.bid(order_id)
    orders_before = freelancer.table_ids("orders")
    with connect(live_server.url, stranger["token"]) as other:
        with pytest.raises(Refused) as before_first_push:  # the token says who we are
            sync(freelancer.conn, other, deadline=5)
        freelancer.sync()
        freelancer.message(order_id, "之后的消息")
        with pytest.raises(Refused) as after_first_push:  # the server knows whose replica
            sync(freelancer.conn, other, deadline=5)

    for refused in (before_first_push, after_first_push):
        assert refused.value.code == "replica_of_another_account"
    assert live_server.count(bids, bids.c.id == bid_id, bids.c.freelancer_id == stranger["id"]) == 0
    assert freelancer.table_ids("orders") == orders_before
    assert freelancer.states()["pending"] == 1


def test_quick_sync_uses_the_configured_server_and_stored_token_or_says_why_not(
    live_server: LiveServer, make_replica: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    from jiedan_cli.sync import credentials

    _poster, freelancer, order_id = market(make_replica)
    bid_id = freelancer.bid(order_id)
    monkeypatch.setenv("JIEDAN_SERVER", live_server.url)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        signed_out = quick_sync(freelancer.conn)
        assert not signed_out.complete and "auth login" in str(signed_out.error)
        credentials.store_token(live_server.url, freelancer.user["email"], freelancer.user["token"])
        report = quick_sync(freelancer.conn)
    finally:
        keyring.set_keyring(previous)
    assert report.complete and report.pushed == 1
    assert live_server.count(bids, bids.c.id == bid_id) == 1
