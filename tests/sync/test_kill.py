"""kill -9 of a real syncing process at random points (sync.md: after the local commit,
during the push, after the server commit but before the reply). After a clean sync each
operation is applied exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from jiedan_cli.server.db.tables import bids, messages, sync_ops
from jiedan_cli.store.state import sync_state
from tests.sync.conftest import LiveServer, Replica
from tests.sync.faultproxy import FaultProxy

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for `jiedan sync` until the command exists: the same engine call.
SYNC_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from jiedan_cli.store.db import open_db
    from jiedan_cli.sync.engine import sync
    from jiedan_cli.sync.http import connect
    from jiedan_cli.sync.push import BatchLimits
    from jiedan_cli.sync.retry import RetryPolicy

    conn = open_db(sys.argv[1])
    client = connect(sys.argv[2], os.environ["JIEDAN_TOKEN"])
    print("syncing", flush=True)
    sync(conn, client, deadline=60, limits=BatchLimits(max_ops=3),
         policy=RetryPolicy(first=0.02, cap=0.2), page_limit=5)
    print("synced", flush=True)
    """
)


def run_and_kill(replica: Replica, url: str, rng: random.Random) -> bool:
    """Start a sync process and SIGKILL it at a random moment; True if it finished first."""
    env = {**os.environ, "JIEDAN_TOKEN": replica.user["token"], "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", SYNC_SCRIPT, str(replica.path), url],
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "syncing"
    time.sleep(rng.uniform(0.0, 0.8))
    finished = child.poll() is not None
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    return finished


def test_a_sync_killed_at_random_points_applies_each_operation_exactly_once(
    live_server: LiveServer, proxy: FaultProxy, make_replica: Any
) -> None:
    rng = random.Random(20261125)
    poster = make_replica()
    order_ids = [poster.post_order() for _ in range(4)]
    poster.sync()
    freelancer = make_replica()
    bid_ids = [freelancer.bid(order_id) for order_id in order_ids]
    message_ids: list[str] = []
    proxy.always("delay", delay=0.03)  # stretch each request so kills land inside them
    killed_mid_sync = 0
    for round_ in range(6):
        message_ids += [
            freelancer.message(rng.choice(order_ids), f"第{round_}轮 {n}") for n in range(6)
        ]
        killed_mid_sync += not run_and_kill(freelancer, proxy.url, rng)
    assert killed_mid_sync >= 3

    proxy.always("pass")
    report = freelancer.sync()

    ops = len(bid_ids) + len(message_ids)
    assert report.complete and freelancer.states() == {"pending": 0, "rejected": 0, "done": ops}
    assert live_server.count(bids, bids.c.id.in_(bid_ids)) == len(bid_ids)
    assert live_server.count(messages, messages.c.id.in_(message_ids)) == len(message_ids)
    client_id = sync_state(freelancer.conn).client_id
    stored = live_server.rows(select(sync_ops.c.op_id).where(sync_ops.c.client_id == client_id))
    assert len(stored) == len({row.op_id for row in stored}) == ops
    fresh = make_replica(user=freelancer.user)
    fresh.sync()
    for table in ("orders", "bids", "messages"):
        assert freelancer.table_ids(table) == fresh.table_ids(table)
