"""A client clock off by a day — ahead, behind, jumping back between two operations —
changes nothing: order is the outbox seq, and the server stamps its own times."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.server.db.tables import bids, messages
from jiedan_cli.store import apply, outbox
from tests.sync.conftest import LiveServer, Replica


def skew_client_clock(monkeypatch: pytest.MonkeyPatch, offset: timedelta) -> None:
    """The wall clock as the client's code reads it, `offset` away from the truth (the
    server's clock here is its own: `datetime.now`, not time.time)."""
    real_time, real_time_ns = time.time, time.time_ns
    seconds = offset.total_seconds()
    monkeypatch.setattr(time, "time", lambda: real_time() + seconds)
    monkeypatch.setattr(time, "time_ns", lambda: real_time_ns() + int(seconds * 1e9))
    for module in (outbox, apply):
        monkeypatch.setattr(module, "utcnow", lambda: datetime.now(UTC) + offset)


def bid_then_change_it(
    make_replica: Any, monkeypatch: pytest.MonkeyPatch, skews: list[timedelta]
) -> tuple[LiveServer, Replica, str, str]:
    poster = make_replica()
    order_id = poster.post_order()
    poster.sync()
    freelancer = make_replica()
    skew_client_clock(monkeypatch, skews[0])
    bid_id = freelancer.bid(order_id, amount_fen=400_000)
    skew_client_clock(monkeypatch, skews[1])  # the clock jumps: back a day, say
    freelancer.queue("update_bid", "bid", bid_id, bid_id=bid_id, amount_fen=520_000, days=9)
    skew_client_clock(monkeypatch, skews[2])
    message_id = freelancer.message(order_id, "报价已更新")
    return poster, freelancer, bid_id, message_id


@pytest.mark.parametrize(
    "skews",
    [
        [timedelta(0)] * 3,
        [timedelta(days=1)] * 3,
        [timedelta(days=-1)] * 3,
        [timedelta(days=1), timedelta(days=-1), timedelta(hours=-30)],
    ],
    ids=["true", "ahead", "behind", "jumping"],
)
def test_a_skewed_client_clock_gives_the_same_outcome(
    live_server: LiveServer,
    make_replica: Any,
    monkeypatch: pytest.MonkeyPatch,
    skews: list[timedelta],
) -> None:
    _poster, freelancer, bid_id, message_id = bid_then_change_it(make_replica, monkeypatch, skews)

    report = freelancer.sync()

    assert (report.pushed, report.rejected, report.pending) == (3, 0, 0)
    ((amount, days, created),) = live_server.rows(
        select(bids.c.amount_fen, bids.c.days, bids.c.created_at).where(bids.c.id == bid_id)
    )
    assert (amount, days) == (520_000, 9)  # the update came after the bid: seq, not clock
    assert abs(created.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=5)
    assert live_server.count(messages, messages.c.id == message_id) == 1
    (shown,) = freelancer.conn.execute("SELECT data FROM bids WHERE id = ?", (bid_id,))
    assert '"amount_fen":520000' in shown[0]
