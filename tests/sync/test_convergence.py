"""N clients doing random operations with random syncs converge (sync.md, the property
test; TaskChampion keeps one like it): after final syncs every replica's server copy is what
a fresh replica of the same user pulls from the server."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiedan_cli.store.apply import SERVER_COPY_TABLES
from tests.sync.conftest import Replica

# weighted by repetition: bids and syncs are what users do most
ACTIONS = (
    *("bid", "bid", "bid", "sync", "sync", "sync", "message", "message"),
    *("post_order", "update_bid", "withdraw_bid", "award", "award"),
)
CLIENTS = 3


def server_copy(replica: Replica) -> dict[str, dict[str, Any]]:
    copy: dict[str, dict[str, Any]] = {}
    for table in SERVER_COPY_TABLES:
        if table == "order_tags":  # derived from orders, keyed by a local row number
            continue
        rows = replica.conn.execute(f"SELECT id, data FROM {table}")
        copy[table] = {row[0]: json.loads(row[1]) for row in rows}
    return copy


def ids(replica: Replica, query: str, *params: Any) -> list[str]:
    return [row[0] for row in replica.conn.execute(query, params)]


def act(replica: Replica, action: str, rng: random.Random) -> None:
    """Queue `action` on whatever this replica currently knows (it may be refused later:
    a bid on an order awarded meanwhile, say — that is part of the game)."""
    me = replica.user["id"]
    my_bids = "SELECT id FROM bids WHERE freelancer_id = ? AND status = 'submitted' ORDER BY id"
    if action == "post_order":
        replica.post_order(budget_min_fen=rng.randrange(100, 500) * 1000)
    elif action == "bid":
        open_orders = ids(
            replica,
            "SELECT id FROM orders WHERE status = 'open' AND client_id != ? ORDER BY id",
            me,
        )
        if open_orders:
            replica.bid(rng.choice(open_orders), amount_fen=rng.randrange(200, 900) * 1000)
    elif action in ("update_bid", "withdraw_bid"):
        mine = ids(replica, my_bids, me)
        if mine:
            bid_id = rng.choice(mine)
            extra = {"amount_fen": rng.randrange(200, 900) * 1000} if action == "update_bid" else {}
            replica.queue(action, "bid", bid_id, bid_id=bid_id, **extra)
    elif action == "message":
        bid_on = ids(replica, "SELECT order_id FROM bids WHERE freelancer_id = ? ORDER BY id", me)
        if bid_on:
            replica.message(rng.choice(bid_on), f"消息 {rng.randrange(1000)}")
    elif action == "award":
        offers = replica.conn.execute(
            "SELECT b.id, b.order_id FROM bids b JOIN orders o ON o.id = b.order_id"
            " WHERE o.client_id = ? AND o.status = 'open' AND b.status = 'submitted' ORDER BY b.id",
            (me,),
        ).fetchall()
        if offers:
            bid_id, order_id = rng.choice(offers)
            replica.queue("award_bid", "order", order_id, order_id=order_id, bid_id=bid_id)
    else:
        replica.sync()


steps = st.lists(
    st.tuples(st.integers(0, CLIENTS - 1), st.sampled_from(ACTIONS), st.integers(0, 2**32)),
    min_size=12,
    max_size=30,
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_replicas_doing_random_operations_converge_with_the_server(
    make_replica: Any, steps: list[tuple[int, str, int]]
) -> None:
    replicas = [make_replica() for _ in range(CLIENTS)]
    for replica in replicas:  # each has posted an order, and has seen the others' ones
        replica.post_order()
        replica.sync()
    for replica in replicas:
        replica.sync()
    for who, action, seed in steps:
        act(replicas[who], action, random.Random(seed))

    for _round in range(2):  # the first round pushes everything, the second pulls it all
        for replica in replicas:
            replica.sync()

    for replica in replicas:
        assert replica.states()["pending"] == 0
        fresh = make_replica(user=replica.user)
        fresh.sync()
        assert server_copy(replica) == server_copy(fresh)
