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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.servers import app_server, serving  # noqa: E402

TARGETS = {
    "P3 changes/s": (">=", 10_000),
    "P3 peak RSS MB": ("<=", 200),
    "P4 ops/s": (">=", 500),
    "P4 requests per 100 ops": ("<=", 1.0),
}
BIDS = 500

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
started = time.perf_counter()
report = sync(conn, client, deadline=None)
seconds = time.perf_counter() - started
print(json.dumps({
    "seconds": seconds, **report.as_dict(), "requests": dict(sent),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
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
        "email": f"bench{n}@example.com",
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


def run_client(replica: Path, base: str, token: str) -> dict[str, Any]:
    env = {**os.environ, "JIEDAN_TOKEN": token, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, str(replica), base],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the client sync failed:\n{done.stderr}")
    return dict(json.loads(done.stdout))


def queue_operations(replica: Path, user_id: str) -> int:
    """500 bids on open orders, then a message on each of those orders: 1,000 operations."""
    from jiedan_cli.domain.ids import new_id
    from jiedan_cli.store.db import open_db, transaction
    from jiedan_cli.store.outbox import enqueue

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


def one_run(base: str, database_url: str, folder: Path, n: int) -> dict[str, Any]:
    user = sign_up_verified_freelancer(base, database_url, n)
    replica = folder / f"replica-{n}.db"
    from jiedan_cli.store.db import open_db
    from jiedan_cli.store.state import set_user

    conn = open_db(replica)
    set_user(conn, user["id"])
    conn.close()
    initial = run_client(replica, base, user["token"])
    say(
        f"  P3: {initial['pulled']} changes in {initial['seconds']:.2f} s, "
        f"peak RSS {initial['peak_rss_mb']:.0f} MB, requests {initial['requests']}"
    )
    queued = queue_operations(replica, user["id"])
    drain = run_client(replica, base, user["token"])
    say(
        f"  P4: {queued} ops ({drain['pushed']} applied, {drain['rejected']} rejected) in "
        f"{drain['seconds']:.2f} s, {drain['pulled']} changes pulled, requests {drain['requests']}"
    )
    requests = sum(drain["requests"].values())
    return {
        "P3 changes/s": initial["pulled"] / initial["seconds"],
        "P3 peak RSS MB": initial["peak_rss_mb"],
        "P4 ops/s": queued / drain["seconds"],
        "P4 requests per 100 ops": requests / (queued / 100),
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jiedan-p3p4-") as temporary:
        folder = Path(temporary)
        home = folder / "home"
        home.mkdir()
        os.environ["JIEDAN_HOME"] = str(home)
        database_url = f"sqlite:///{folder / 'server.db'}"
        started = time.perf_counter()
        seed(database_url, args.orders)
        say(f"seeded in {time.perf_counter() - started:.0f} s")
        server_args, port = app_server(database_url)
        runs = []
        with serving(server_args, env={"JIEDAN_HOME": str(home)}, port=port) as served:
            for n in range(1, args.runs + 1):
                say(f"run {n}/{args.runs}")
                runs.append(one_run(served.base, database_url, folder, n))
    figures = {name: statistics.median(run[name] for run in runs) for name in TARGETS}
    print(f"{'figure':<26} {'median':>10} {'target':>10}  pass")
    for name, value in figures.items():
        op, bound = TARGETS[name]
        ok = "PASS" if verdict(name, value) else "FAIL"
        print(f"{name:<26} {value:>10.2f} {op + str(bound):>10}  {ok}")
    document = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "python": platform.python_version(),
        },
        "settings": {"orders": args.orders, "runs": args.runs, "operations": 2 * BIDS},
        "figures": {
            name: {"median": round(value, 3), "target": "".join(map(str, TARGETS[name]))}
            | {"pass": verdict(name, value)}
            for name, value in figures.items()
        },
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    say(f"written {args.out}")


if __name__ == "__main__":
    main()
