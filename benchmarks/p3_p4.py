"""P3 and P4 of performance.md: the sync engine against the real server on loopback.

    P3  initial sync pulling every order into an empty replica: changes/s, peak RSS
    P4  draining 1,000 queued operations (500 bids, then a message on each of those orders):
        operations/s, HTTP requests per 100 operations

Seeds a throw-away SQLite database (`jiedan server seed`'s generator), serves it with
`jiedan server run` in its own process, and runs every client sync in a fresh process of its
own (so peak RSS is the client's alone). Each run signs up a new freelancer (marked verified:
unverified accounts may bid 20 times a day), pulls the market into an empty replica (P3),
queues the 1,000 operations in it and syncs them (P4). Medians over the runs are reported.

    .venv/bin/python benchmarks/p3_p4.py [--orders 100000] [--runs 3] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.servers import CALM_RISK, Served, app_server, client_sync, serving  # noqa: E402

TARGETS = {
    "P3 changes/s": (">=", 10_000),
    "P3 peak RSS MB": ("<=", 200),
    "P4 ops/s": (">=", 500),
    "P4 requests per 100 ops": ("<=", 1.0),
}
DIAGNOSTICS = (
    "P3 changes per client CPU-s",
    "P3 changes per server CPU-s",
    "P4 ops per server CPU-s",
)
BIDS = 500
# The risk engine assesses and records every operation but holds none (servers.CALM_RISK;
# tests/server/conftest.CALM does the same).
CALM = CALM_RISK

# One sync in a process of its own: what `jiedan sync` does, timed, with its peak RSS.
CLIENT = """
import json, os, resource, sys, time
from collections import Counter
from jiedan_cli.store.db import open_db
from jiedan_cli.sync.engine import sync
from jiedan_cli.sync.http import connect

sent = Counter()
conn = open_db(sys.argv[1])
client = connect(sys.argv[2], os.environ["JIEDAN_TOKEN"], read_timeout=300,
                 event_hooks={"request": [lambda r: sent.update([r.url.path])]})
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def peak_rss_mb():
    # VmHWM belongs to this process image; ru_maxrss would carry the parent's over fork+exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

started, cpu_before = time.perf_counter(), cpu()
report = sync(conn, client, deadline=None)
seconds = time.perf_counter() - started
print(json.dumps({
    "seconds": seconds, "cpu_seconds": cpu() - cpu_before, **report.as_dict(),
    "requests": dict(sent), "peak_rss_mb": peak_rss_mb(),
}))
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def seed(database_url: str, orders: int) -> None:
    from jiedan_cli.server.db import Database
    from jiedan_cli.server.seed import seed_marketplace

    db = Database(database_url)
    try:
        db.migrate()
        say(seed_marketplace(db, orders=orders))
    finally:
        db.dispose()


def sign_up_verified_freelancer(base: str, database_url: str, n: int) -> dict[str, Any]:
    from sqlalchemy import update

    from jiedan_cli.server.db import Database
    from jiedan_cli.server.db.tables import users

    body = {
        # unique: a --seeded-database-url keeps the users of earlier runs
        "email": f"bench{n}-{uuid.uuid4().hex[:8]}@example.com",
        "name": f"压测{n}",
        "password": "bench password 42",
        "role": "freelancer",
    }
    answer = httpx.post(f"{base}/v1/auth/register", json=body, timeout=60).raise_for_status()
    user = {**answer.json()["user"], "token": answer.json()["token"]}
    db = Database(database_url)
    try:
        with db.write() as conn:  # what a reviewer's approval of 实名认证 does to the limit
            conn.execute(
                update(users).where(users.c.id == user["id"]).values(verification="approved")
            )
    finally:
        db.dispose()
    return user


def run_client(replica: Path, served: Served, token: str) -> dict[str, Any]:
    server_cpu = served.cpu_seconds() or 0.0
    measured = client_sync(CLIENT, replica, served.base, token)
    measured["server_cpu_seconds"] = (served.cpu_seconds() or 0.0) - server_cpu
    return measured


def queue_operations(replica: Path, user_id: str) -> int:
    """500 bids on open orders, then a message on each of those orders: 1,000 operations."""
    from jiedan_cli.domain.ids import new_id
    from jiedan_cli.store.db import open_db
    from jiedan_cli.store.outbox import enqueue
    from jiedan_cli.store.transaction import transaction

    conn = open_db(replica)
    try:
        orders = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM orders WHERE status = 'open' AND client_id != ? LIMIT ?",
                (user_id, BIDS),
            )
        ]
        with transaction(conn):
            for n, order_id in enumerate(orders):
                bid_id = new_id()
                args = {"id": bid_id, "order_id": order_id, "amount_fen": 300_000 + n, "days": 7}
                enqueue(
                    conn, "place_bid", {**args, "message": "您好，可以按时交付。"}, "bid", bid_id
                )
            for order_id in orders:
                message_id = new_id()
                args = {"id": message_id, "order_id": order_id, "text": "请问有参考案例吗？"}
                enqueue(conn, "send_message", args, "message", message_id)
        return 2 * len(orders)
    finally:
        conn.close()


def one_run(served: Served, database_url: str, folder: Path, n: int) -> dict[str, Any]:
    base = served.base
    user = sign_up_verified_freelancer(base, database_url, n)
    replica = folder / f"replica-{n}.db"
    from jiedan_cli.store.db import open_db
    from jiedan_cli.store.state import set_user

    conn = open_db(replica)
    set_user(conn, user["id"])
    conn.close()
    initial = run_client(replica, served, user["token"])
    say(
        f"  P3: {initial['pulled']} changes in {initial['seconds']:.2f} s, "
        f"peak RSS {initial['peak_rss_mb']:.0f} MB, requests {initial['requests']}; CPU s: "
        f"client {initial['cpu_seconds']:.1f}, server {initial['server_cpu_seconds']:.1f}"
    )
    queued = queue_operations(replica, user["id"])
    drain = run_client(replica, served, user["token"])
    say(
        f"  P4: {queued} ops ({drain['pushed']} applied, {drain['rejected']} rejected) in "
        f"{drain['seconds']:.2f} s, {drain['pulled']} changes pulled, requests "
        f"{drain['requests']}; CPU s: client {drain['cpu_seconds']:.1f}, "
        f"server {drain['server_cpu_seconds']:.1f}"
    )
    requests = sum(drain["requests"].values())
    return {
        "P3 changes/s": initial["pulled"] / initial["seconds"],
        "P3 peak RSS MB": initial["peak_rss_mb"],
        "P4 ops/s": queued / drain["seconds"],
        "P4 requests per 100 ops": requests / (queued / 100),
        # Diagnostics that a busy machine disturbs less than wall time: per CPU-second of
        # the client process, and of the server process, during the same sync.
        "P3 changes per client CPU-s": initial["pulled"] / initial["cpu_seconds"],
        "P3 changes per server CPU-s": initial["pulled"] / initial["server_cpu_seconds"],
        "P4 ops per server CPU-s": queued / drain["server_cpu_seconds"],
        "raw": {"initial": initial, "drain": drain, "queued": queued},
    }


def verdict(name: str, value: float) -> bool:
    op, bound = TARGETS[name]
    return value >= bound if op == ">=" else value <= bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/p3_p4.json")
    parser.add_argument(
        "--seeded-database-url",
        help="an already seeded database to use (no seeding; it gains users)",
    )
    args = parser.parse_args()
    load_before = os.getloadavg()  # others' work on a shared machine moves every figure
    with tempfile.TemporaryDirectory(prefix="jiedan-p3p4-") as temporary:
        folder = Path(temporary)
        home = folder / "home"
        home.mkdir()
        os.environ["JIEDAN_HOME"] = str(home)
        database_url = args.seeded_database_url or f"sqlite:///{folder / 'server.db'}"
        if not args.seeded_database_url:
            started = time.perf_counter()
            seed(database_url, args.orders)
            say(f"seeded in {time.perf_counter() - started:.0f} s")
        server_args, port = app_server(database_url)
        runs = []
        with serving(server_args, env={"JIEDAN_HOME": str(home), **CALM}, port=port) as served:
            for n in range(1, args.runs + 1):
                say(f"run {n}/{args.runs}")
                runs.append(one_run(served, database_url, folder, n))
    figures = {name: statistics.median(run[name] for run in runs) for name in TARGETS}
    diagnostics = {name: statistics.median(run[name] for run in runs) for name in DIAGNOSTICS}
    print(f"{'figure':<30} {'median':>10} {'target':>10}  pass")
    for name, value in figures.items():
        op, bound = TARGETS[name]
        ok = "PASS" if verdict(name, value) else "FAIL"
        print(f"{name:<30} {value:>10.2f} {op + str(bound):>10}  {ok}")
    for name, value in diagnostics.items():
        print(f"{name:<30} {value:>10.0f} {'':>10}  (diagnostic)")
    document = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average": os.getloadavg(),
            "python": platform.python_version(),
        },
        "settings": {
            "orders": "as seeded" if args.seeded_database_url else args.orders,
            "runs": args.runs,
            "operations": 2 * BIDS,
        },
        "figures": {
            name: {"median": round(value, 3), "target": "".join(map(str, TARGETS[name]))}
            | {"pass": verdict(name, value)}
            for name, value in figures.items()
        },
        "diagnostics": {name: round(value, 1) for name, value in diagnostics.items()},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    loads = f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}"
    say(f"written {args.out} ({loads})")


if __name__ == "__main__":
    main()
