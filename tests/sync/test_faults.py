"""Weak networks between the client and the real server (sync.md, "What it must survive"):
resets, truncated answers, a hung server and 503 storms, through a fault-injecting proxy.
Whatever breaks, a later clean sync leaves every operation applied exactly once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from jiedan_cli.domain.errors import Offline
from jiedan_cli.server.db.tables import bids, change_audience, change_log, messages, sync_ops
from jiedan_cli.store.state import sync_state
from tests.sync.conftest import LiveServer, Replica
from tests.sync.faultproxy import FaultProxy


def freelancer_with_queue(make_replica: Any, url: str, ops: int = 6) -> tuple[Replica, list[str]]:
    """A freelancer whose replica talks through `url`, with `ops` operations queued (a bid,
    then messages) on another user's order."""
    poster = make_replica()
    order_id = poster.post_order()
    poster.sync()
    freelancer = make_replica(url=url, read_timeout=1.0)
    ids = [freelancer.bid(order_id)]
    ids += [freelancer.message(order_id, f"消息 {n}") for n in range(ops - 1)]
    return freelancer, ids


def assert_applied_exactly_once(server: LiveServer, replica: Replica, ids: list[str]) -> None:
    assert replica.states() == {"pending": 0, "rejected": 0, "done": len(ids)}
    bid_id, *message_ids = ids
    assert server.count(bids, bids.c.id == bid_id) == 1
    assert server.count(messages, messages.c.id.in_(message_ids)) == len(message_ids)
    client_id = sync_state(replica.conn).client_id
    stored = server.rows(select(sync_ops.c.op_id).where(sync_ops.c.client_id == client_id))
    assert len(stored) == len({row.op_id for row in stored}) == len(ids)


@pytest.mark.parametrize(
    ("mode", "after_bytes"),
    [
        ("reset", 0),  # the server committed; the client never hears of it
        ("reset", 90),  # in the middle of the status line and headers
        ("truncate", 0),
        ("truncate", 400),  # inside the JSON body
        ("hang", 0),  # the server answered; the answer never arrives
    ],
)
def test_a_broken_push_answer_is_retried_and_each_operation_applied_once(
    live_server: LiveServer, proxy: FaultProxy, make_replica: Any, mode: str, after_bytes: int
) -> None:
    freelancer, ids = freelancer_with_queue(make_replica, proxy.url)
    proxy.next(mode, times=2, after_bytes=after_bytes)

    report = freelancer.sync()

    assert report.complete and report.pushed == len(ids)
    assert proxy.connections >= 3  # two broken, then one that worked
    assert_applied_exactly_once(live_server, freelancer, ids)


@pytest.mark.parametrize("mode", ["refuse", "reset", "truncate", "hang"])
def test_a_link_that_stays_broken_gives_offline_then_a_clean_sync_finishes_the_work(
    live_server: LiveServer, proxy: FaultProxy, make_replica: Any, mode: str
) -> None:
    freelancer, ids = freelancer_with_queue(make_replica, proxy.url)
    proxy.always(mode, after_bytes=0)

    with pytest.raises(Offline):
        freelancer.sync(deadline=2.5)
    assert freelancer.states()["pending"] == len(ids)  # nothing lost, nothing marked early

    proxy.always("pass")
    freelancer.use(proxy.url)  # a fresh connection pool: the hung ones are gone
    assert freelancer.sync().pushed == len(ids)
    assert_applied_exactly_once(live_server, freelancer, ids)


def test_a_503_storm_drops_nothing_and_the_queue_drains_when_it_ends(
    live_server: LiveServer, proxy: FaultProxy, make_replica: Any
) -> None:
    freelancer, ids = freelancer_with_queue(make_replica, proxy.url, ops=10)
    proxy.next("http503", times=6)

    report = freelancer.sync()

    assert proxy.answered_503 == 6
    assert report.pushed == len(ids) and report.pending == 0
    assert_applied_exactly_once(live_server, freelancer, ids)


def test_a_503_storm_longer_than_the_deadline_is_offline_and_keeps_the_queue(
    live_server: LiveServer, proxy: FaultProxy, make_replica: Any
) -> None:
    freelancer, ids = freelancer_with_queue(make_replica, proxy.url, ops=3)
    proxy.always("http503", retry_after=0)
    with pytest.raises(Offline, match="busy"):
        freelancer.sync(deadline=1.0)
    assert proxy.answered_503 >= 2 and freelancer.states()["pending"] == 3
    proxy.always("pass")
    freelancer.sync()
    assert_applied_exactly_once(live_server, freelancer, ids)


def page_bytes(server: LiveServer, token: str, limit: int) -> int:
    """What one pull page of `limit` changes costs on the wire (body as sent, plus headers)."""
    response = httpx.get(
        f"{server.url}/v1/sync/pull",
        params={"cursor": "", "limit": limit},
        headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"},
    )
    head = sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 20
    return int(response.num_bytes_downloaded) + head


def visible_after(server: LiveServer, user_id: str, seq: int) -> int:
    """How many changes after `seq` the user may see: everything a pull from there brings."""
    public = server.count(change_log, change_log.c.seq > seq, change_log.c.public.is_(True))
    addressed = server.count(
        change_audience, change_audience.c.seq > seq, change_audience.c.user_id == user_id
    )
    return public + addressed


def test_a_pull_cut_mid_page_never_leaves_the_cursor_ahead_of_the_applied_data(
    live_server: LiveServer, proxy: FaultProxy, make_replica: Any
) -> None:
    poster = make_replica()
    for n in range(30):
        poster.post_order(title=f"订单 {n:02d}")
    poster.sync()
    reader = make_replica(url=proxy.url, read_timeout=1.0)
    one_page = page_bytes(live_server, reader.user["token"], 5)
    # Two whole pages pass on the first connection, the third is cut in its middle; every
    # later connection is reset before a byte of the answer.
    proxy.always("reset", after_bytes=0)
    proxy.next("truncate", after_bytes=int(2.5 * one_page))

    with pytest.raises(Offline):
        reader.sync(deadline=1.5, page_limit=5)

    cursor_seq = int(str(sync_state(reader.conn).cursor).split(":")[1])
    up_to_cursor = live_server.rows(
        select(change_log.c.entity_id).where(
            change_log.c.entity == "order", change_log.c.seq <= cursor_seq
        )
    )
    assert reader.table_ids("orders") == {row.entity_id for row in up_to_cursor}
    assert len(up_to_cursor) == 10  # exactly the two pages that arrived whole

    proxy.always("pass")
    report = reader.sync(page_limit=5)
    assert report.pulled == visible_after(live_server, reader.user["id"], cursor_seq)
    assert reader.table_ids("orders") == poster.table_ids("orders")
    assert len(reader.table_ids("orders")) == 30


def test_a_pull_through_a_link_that_cuts_every_connection_still_completes(
    live_server: LiveServer, proxy: FaultProxy, make_replica: Any
) -> None:
    """Each retry resumes from the last page committed, so a link that carries only a few
    pages per connection still delivers everything, once."""
    poster = make_replica()
    for n in range(30):
        poster.post_order(title=f"订单 {n:02d}")
    poster.sync()
    reader = make_replica(url=proxy.url, read_timeout=1.0)
    proxy.always(
        "truncate", after_bytes=int(2.5 * page_bytes(live_server, reader.user["token"], 5))
    )

    report = reader.sync(page_limit=5)

    assert report.complete and report.pulled == visible_after(live_server, reader.user["id"], 0)
    assert proxy.connections >= 3  # 7 pages, at most 2 whole ones on each connection
    assert reader.table_ids("orders") == poster.table_ids("orders")


def test_200_queued_operations_cross_a_300_ms_link_in_3_round_trips(
    live_server: LiveServer, proxy: FaultProxy, make_replica: Any
) -> None:
    """P8 (performance.md; target ≤ 5, moonshot ≤ 3): batching keeps a slow link's cost in
    round trips, not operations — two pushes (199 messages: 100 a push at most) and one pull.
    No `GET /v1/me` before this replica's first push: the push names its account itself."""
    freelancer, ids = freelancer_with_queue(make_replica, proxy.url, ops=200)
    freelancer.read_timeout = 10.0
    freelancer.use(proxy.url)
    proxy.always("delay", delay=0.3)

    report = freelancer.sync()

    assert report.pushed == 200
    assert freelancer.requests == ["POST /v1/sync/push"] * 2 + ["GET /v1/sync/pull"]
    assert len(freelancer.requests) == report.requests
    assert_applied_exactly_once(live_server, freelancer, ids)
