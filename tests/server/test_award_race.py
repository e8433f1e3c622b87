"""Two (or twenty) concurrent awards of one order: exactly one wins (money.md)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from jiedan_cli.domain.errors import Conflict, JiedanError
from jiedan_cli.server.db.tables import bids, milestones, orders
from jiedan_cli.server.services.actors import actor_for_token
from jiedan_cli.server.services.bids import award_bid
from tests.server.conftest import Server
from tests.server.market import place_bid, post_order

ATTEMPTS = 20


@pytest.mark.slow
@pytest.mark.parametrize("spread", ["different bids", "the same bid"])
def test_concurrent_awards_have_exactly_one_winner(server: Server, spread: str) -> None:
    client = server.register("client")
    freelancers = [server.register("freelancer") for _ in range(4)]
    order = post_order(server, client)
    bid_ids = [
        place_bid(server, f, order["id"], amount_fen=50_000 + i)["id"]
        for i, f in enumerate(freelancers)
    ]
    with server.db.read() as conn:
        actor = actor_for_token(conn, client["token"], server.clock())
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        bid_id = bid_ids[n % len(bid_ids)] if spread == "different bids" else bid_ids[0]
        barrier.wait()
        try:
            with server.db.write() as conn:  # each attempt is its own transaction
                result: Any = award_bid(
                    conn, actor, order_id=order["id"], bid_id=bid_id, now=server.clock()
                )
        except JiedanError as exc:
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == ATTEMPTS
    winners = [o for o in outcomes if isinstance(o, dict)]
    losers = [o for o in outcomes if not isinstance(o, dict)]
    assert len(winners) == 1
    assert all(isinstance(o, Conflict) for o in losers), losers
    with server.db.read() as conn:
        stored = conn.execute(select(orders).where(orders.c.id == order["id"])).one()
        awarded = conn.execute(
            select(bids.c.id).where(bids.c.order_id == order["id"], bids.c.status == "awarded")
        ).scalars()
        made = conn.scalar(
            select(func.count()).select_from(milestones).where(milestones.c.order_id == order["id"])
        )
    assert list(awarded) == [winners[0]["awarded_bid_id"]] == [stored.awarded_bid_id]
    assert stored.status == "awarded"
    assert made == 1
