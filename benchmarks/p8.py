"""P8 of performance.md: `jiedan sync` of 200 queued operations over a link with 300 ms of
latency: its round trips (target ≤ 5, moonshot ≤ 3).

Serves a fresh SQLite database with `jiedan server run`, puts the fault proxy of the sync
tests (tests/sync/faultproxy.py, mode `delay`: every chunk each way 300 ms late) in front of
it, and has a freelancer queue a bid and 199 messages on a client's order — what a day on a
train leaves behind — then syncs them through the proxy in a process of its own. A round trip
is an HTTP request (on one keep-alive connection); the seconds are reported beside them, and
every operation is checked applied exactly once. Round trips are a count, not a clock: the
run is repeated to show it does not move.

    .venv/bin/python benchmarks/p8.py [--runs 3] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.servers import CALM_RISK, Served, app_server, client_sync, serving  # noqa: E402
from tests.sync.faultproxy import FaultProxy  # noqa: E402

OPERATIONS = 200
LATENCY_S = 0.3
TARGET, MOONSHOT = 5, 3

# The sync, in a process of its own: what `jiedan sync` does, its requests counted.
CLIENT = """
import json, os, sys, time
from jiedan_cli.store.db import open_db
from jiedan_cli.sync.engine import sync
from jiedan_cli.sync.http import connect

sent = []
conn = open_db(sys.argv[1])
client = connect(sys.argv[2], os.environ["JIEDAN_TOKEN"], read_timeout=60,
                 event_hooks={"request": [lambda r: sent.append(r.url.path)]})
started = time.perf_counter()
report = sync(conn, client, deadline=None)
print(json.dumps({"seconds": time.perf_counter() - started, **report.as_dict(),
                  "requests": sent}))
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def register(base: str, n: int, role: str) -> dict[str, Any]:
    body = {
        "email": f"p8-{role}-{n}-{os.getpid()}@example.com",
        "name": f"P8 {role} {n}",
        "password": "bench password 42",
        "role": role,
    }
    answer = httpx.post(f"{base}/v1/auth/register", json=body, timeout=60).raise_for_status()
    return {**answer.json()["user"], "token": answer.json()["token"]}


def post_order(base: str, client: dict[str, Any]) -> str:
    order = {
        "title": "企业官网首页改版",
        "description": "需要响应式设计，三个页面。",
        "category": "design",
        "tags": ["网站"],
        "budget_min_fen": 200_000,
        "budget_max_fen": 400_000,
    }
    headers = {"Authorization": f"Bearer {client['token']}"}
    answer = httpx.post(f"{base}/v1/orders", json=order, headers=headers, timeout=60)
    return str(answer.raise_for_status().json()["id"])


def queue_operations(replica: Path, order_id: str) -> list[str]:
    """A bid on the order, then 199 messages about it: the ids of the 200 operations."""
    from jiedan_cli.domain.ids import new_id
    from jiedan_cli.store.db import open_db
    from jiedan_cli.store.outbox import enqueue
    from jiedan_cli.store.transaction import transaction

    conn = open_db(replica)
    try:
        bid_id = new_id()
        ids = [bid_id]
        with transaction(conn):
            bid = {"id": bid_id, "order_id": order_id, "amount_fen": 300_000, "days": 7}
            enqueue(conn, "place_bid", {**bid, "message": "您好，可以按时交付。"}, "bid", bid_id)
            for n in range(OPERATIONS - 1):
                message_id = new_id()
                text = {"id": message_id, "order_id": order_id, "text": f"补充说明 {n}"}
                enqueue(conn, "send_message", text, "message", message_id)
                ids.append(message_id)
        return ids
    finally:
        conn.close()


def applied_once(served: Served, client: dict[str, Any], order_id: str, ids: list[str]) -> bool:
    """The order's client sees the bid once and every message once."""
    headers = {"Authorization": f"Bearer {client['token']}"}
    base = f"{served.base}/v1/orders/{order_id}"
    bids = httpx.get(f"{base}/bids", headers=headers, timeout=60).raise_for_status().json()
    seen: list[str] = [bid["id"] for bid in bids]
    cursor = ""
    while True:
        page = httpx.get(
            f"{base}/messages", params={"after": cursor} if cursor else {}, headers=headers
        ).raise_for_status()
        seen += [message["id"] for message in page.json()]
        cursor = page.headers.get("X-Next-Cursor", "")
        if not cursor:
            break
    return sorted(seen) == sorted(ids)


def one_run(served: Served, proxy: FaultProxy, folder: Path, n: int) -> dict[str, Any]:
    from jiedan_cli.store.db import open_db
    from jiedan_cli.store.state import set_user

    client = register(served.base, n, "client")
    freelancer = register(served.base, n, "freelancer")
    order_id = post_order(served.base, client)
    replica = folder / f"replica-{n}.db"
    conn = open_db(replica)
    set_user(conn, freelancer["id"])
    conn.close()
    client_sync(CLIENT, replica, served.base, freelancer["token"])  # the market, pulled at the desk
    ids = queue_operations(replica, order_id)
    proxy.always("delay", delay=LATENCY_S)
    try:
        synced = client_sync(CLIENT, replica, proxy.url, freelancer["token"])  # then on the train
    finally:
        proxy.always("pass")
    exact = synced["pushed"] == OPERATIONS and applied_once(served, client, order_id, ids)
    say(
        f"  {OPERATIONS} ops over a {LATENCY_S * 1000:.0f} ms link: "
        f"{len(synced['requests'])} round trips {synced['requests']}, "
        f"{synced['seconds']:.2f} s, pushed {synced['pushed']}, "
        f"applied exactly once: {exact}"
    )
    return {
        "round_trips": len(synced["requests"]),
        "seconds": synced["seconds"],
        "requests": synced["requests"],
        "exactly_once": exact,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/p8.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jiedan-p8-") as temporary:
        folder = Path(temporary)
        home = folder / "home"
        home.mkdir()
        os.environ["JIEDAN_HOME"] = str(home)
        server_args, port = app_server(f"sqlite:///{folder / 'server.db'}")
        runs = []
        with serving(server_args, env={"JIEDAN_HOME": str(home), **CALM_RISK}, port=port) as served:
            proxy = FaultProxy(port).start()
            try:
                for n in range(1, args.runs + 1):
                    runs.append(one_run(served, proxy, folder, n))
            finally:
                proxy.stop()
    trips = statistics.median(run["round_trips"] for run in runs)
    passed = trips <= TARGET and all(run["exactly_once"] for run in runs)
    document = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": {"operations": OPERATIONS, "latency_ms": LATENCY_S * 1000, "runs": args.runs},
        "figures": {
            "P8 round trips": {
                "median": trips,
                "target": f"<={TARGET}",
                "moonshot": f"<={MOONSHOT}",
                "pass": passed,
                "moonshot_pass": passed and trips <= MOONSHOT,
                "seconds_median": round(statistics.median(run["seconds"] for run in runs), 2),
            }
        },
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    say(
        f"P8 round trips (median of {args.runs}): {trips:g} (target ≤ {TARGET}, moonshot ≤ "
        f"{MOONSHOT}); written {args.out}"
    )


if __name__ == "__main__":
    main()
