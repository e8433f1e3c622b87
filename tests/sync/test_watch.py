"""Background sync: `jiedan sync --watch` starts uploading as soon as the server answers
again, picks up operations queued by other commands at once, and two syncs of one replica
never run together."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from jiedan_cli.domain.errors import JiedanError
from jiedan_cli.server.db.tables import bids, messages
from jiedan_cli.store.db import open_db
from jiedan_cli.sync.engine import SyncReport, quick_sync, sync
from jiedan_cli.sync.lock import sync_lock
from jiedan_cli.sync.retry import RetryPolicy
from jiedan_cli.sync.watch import watch
from tests.sync.conftest import FAST_RETRIES, LiveServer
from tests.sync.faultproxy import FaultProxy


def eventually(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, "condition not met in time"
        time.sleep(0.05)


def test_watch_uploads_as_soon_as_the_server_answers_again_and_on_each_new_operation(
    live_server: LiveServer, proxy: FaultProxy, make_replica: Any
) -> None:
    poster = make_replica()
    order_id = poster.post_order()
    poster.sync()
    freelancer = make_replica(url=proxy.url, read_timeout=1.0)
    freelancer.sync()
    bid_id = freelancer.bid(order_id)
    proxy.always("refuse")  # the network goes down
    proxy.drop_connections()
    reports: list[SyncReport] = []
    outages: list[JiedanError] = []
    stop = threading.Event()

    def run_watch(**options: Any) -> None:
        # in its own thread, on its own connection to the replica (as the TUI will)
        conn = open_db(freelancer.path)
        try:
            watch(conn, freelancer.client, **options)
        finally:
            conn.close()

    watcher = threading.Thread(
        target=run_watch,
        kwargs={
            "interval": 600.0,  # so every sync below is one watch chose to do early
            "stop": stop,
            "on_report": reports.append,
            "on_offline": outages.append,
            "sync_deadline": 1.0,
            "policy": RetryPolicy(first=0.05, cap=0.2),
            "tick": 0.05,
        },
        daemon=True,
    )
    watcher.start()
    try:
        eventually(lambda: bool(outages))
        assert live_server.count(bids, bids.c.id == bid_id) == 0

        proxy.always("pass")  # the network is back: the next probe succeeds, the sync follows
        eventually(lambda: live_server.count(bids, bids.c.id == bid_id) == 1)
        eventually(lambda: bool(reports) and reports[-1].pushed == 1)

        message_id = freelancer.message(order_id, "上线了")  # another command queues one
        eventually(lambda: live_server.count(messages, messages.c.id == message_id) == 1)
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()
    assert freelancer.states() == {"pending": 0, "rejected": 0, "done": 2}


def test_a_quick_sync_skips_while_another_sync_holds_the_replica(
    live_server: LiveServer, make_replica: Any
) -> None:
    poster = make_replica()
    order_id = poster.post_order()
    poster.sync()
    freelancer = make_replica()
    freelancer.bid(order_id)
    other = open_db(freelancer.path)
    try:
        with sync_lock(other, wait=0):
            report = quick_sync(freelancer.conn, freelancer.client)
        assert not report.complete and report.pending == 1 and "another sync" in str(report.error)
        assert quick_sync(freelancer.conn, freelancer.client).as_dict()["pushed"] == 1
    finally:
        other.close()


def test_two_syncs_of_one_replica_at_once_apply_everything_once(
    live_server: LiveServer, make_replica: Any
) -> None:
    poster = make_replica()
    order_ids = [poster.post_order() for _ in range(3)]
    poster.sync()
    freelancer = make_replica()
    queued = [freelancer.bid(order_id) for order_id in order_ids]
    errors: list[BaseException] = []

    def run() -> None:
        conn = open_db(freelancer.path)  # each its own connection, as two processes would
        try:
            sync(conn, freelancer.client, deadline=30, policy=FAST_RETRIES)
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert live_server.count(bids, bids.c.id.in_(queued)) == 3
    assert freelancer.states() == {"pending": 0, "rejected": 0, "done": 3}
    assert freelancer.table_ids("orders") >= set(order_ids)
