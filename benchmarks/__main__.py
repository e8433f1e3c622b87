"""`python -m benchmarks` (`make bench`): every figure of performance.md that has a bench.

P1–P4 and P7–P9 run their own scripts (benchmarks/p1_p2.py, p3_p4.py, p7.py, p8.py, p9.py;
see others.py).
P5 and P6 are here: seeds a throw-away database (SQLite, or PostgreSQL with --postgres; 20k
orders by default), serves it with `jiedan server run --workers N` and the floor app the same
way, then for each repetition measures the floor, the app's own /healthz (a diagnostic: middleware
cost), P5 and P6 with 32 connections after a warm-up. P10 (benchmarks/p10.py) runs the whole
flow on a throw-away PostgreSQL database with 1 and 2 workers. Prints the table and writes
benchmarks/results/latest.json.

Diagnostics: --pg-waits (what the PostgreSQL backends wait on during each load), --py-spy
(where the server's CPU goes), --compare-root DIR (another source tree, e.g. an experiment,
measured beside this one in every run); `python -m benchmarks.bid_statements` (the
statements one bid sends)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from functools import partial
from pathlib import Path

from benchmarks import others, p5, p6, p10
from benchmarks.load import LoadResult, Plan, Request, have_wrk, measure
from benchmarks.pg_waits import WaitSampler
from benchmarks.postgres import ADMIN_URL, is_postgres, throwaway_database
from benchmarks.pyspy_summary import summarise
from benchmarks.report import RESULTS, Figure, table, write_json
from benchmarks.servers import (
    CALM_RISK,
    Served,
    app_server,
    floor_server,
    serving,
    variants,
)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000, help="orders to seed for P5/P6")
    parser.add_argument(
        "--others-orders",
        type=int,
        help="--orders for the P1–P4, P7 and P9 scripts (default theirs, 100k)",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="P5/P6 runs; medians are reported (one run says little: P6 moved 0.23–0.30× "
        "between runs minutes apart on a quiet machine, docs/performance.md)",
    )
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--only", default="P1,P2,P3,P4,P5,P6,P7,P8,P9,P10", help="comma-separated figures"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to seed for P5/P6, and for P10 when PostgreSQL "
        "(default: a temporary SQLite file; P10 a throw-away PostgreSQL database)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help=f"P5/P6 on a throw-away PostgreSQL database ({ADMIN_URL}, JIEDAN_BENCH_PG_ADMIN)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="P5/P6: server and floor workers (PostgreSQL)"
    )
    parser.add_argument(
        "--p10-repeat",
        type=int,
        default=None,
        help=f"P10's runs (default: --repeat, at least {p10.MIN_RUNS}: one pair of loads "
        "moves between 1.0× and 1.75× on 2 CPUs, its median is the figure)",
    )
    parser.add_argument("--p10-clients", type=int, default=p10.CLIENTS)
    parser.add_argument("--p10-freelancers", type=int, default=p10.FREELANCERS)
    parser.add_argument(
        "--p10-max-flows", type=int, default=5_000, help="P10: flows started per load, at most"
    )
    parser.add_argument(
        "--pg-waits",
        action="store_true",
        help="sample pg_stat_activity during each PostgreSQL load (a diagnostic; costs a little)",
    )
    parser.add_argument(
        "--py-spy",
        action="store_true",
        help="serve the app under `py-spy record` (P5/P6 without the /healthz load, P10) and "
        "print where its samples went; the raw stacks go to benchmarks/results/",
    )
    parser.add_argument(
        "--compare-root",
        help="another source tree of jiedan (e.g. an experiment): its app is measured beside "
        "this one's in every run, its figures keyed @LABEL",
    )
    parser.add_argument("--compare-label", default="compare")
    args = parser.parse_args(argv)
    url = args.database_url or ""
    if args.workers > 1 and not (args.postgres or is_postgres(url)):
        parser.error("--workers above 1 needs PostgreSQL (--postgres or --database-url)")
    if args.p10_freelancers < p10.BIDDERS * args.p10_clients:
        parser.error(f"P10 needs at least {p10.BIDDERS} freelancers a client")
    return args


def _seed(database_url: str, orders: int) -> None:
    from jiedan_cli.server.db import Database
    from jiedan_cli.server.seed import seed_marketplace

    db = Database(database_url)
    try:
        db.migrate()
        _say(seed_marketplace(db, orders=orders))
    finally:
        db.dispose()


class Bench:
    def __init__(self, args: argparse.Namespace, database_url: str = "") -> None:
        self.args = args
        self.loader = args.loader if args.loader != "auto" else ("wrk" if have_wrk() else "python")
        self.waits = args.pg_waits and is_postgres(database_url)
        self.database_url = database_url

    def load(self, server: Served, plan: Plan, label: str, warm: Plan | None = None) -> LoadResult:
        measure(server.base, warm or plan, duration=self.args.warmup, loader=self.loader)
        sampler = WaitSampler(self.database_url) if self.waits else None
        cpu_before = server.cpu_seconds()
        with sampler or nullcontext():
            result = measure(server.base, plan, duration=self.args.duration, loader=self.loader)
        cpu_after = server.cpu_seconds()
        if cpu_before is not None and cpu_after is not None and result.requests:
            result.server_cpu_ms = (cpu_after - cpu_before) * 1000 / result.requests
        _say(
            f"  {label:<24} {result.rps:7.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
            f"p99 {result.p99_ms:6.1f} ms  errors {result.errors}  "
            f"server CPU {result.server_cpu_ms or float('nan'):.2f} ms/req"
        )
        if sampler is not None:
            result.extra["pg_waits"] = sampler.waits.summary()
            _say(f"    postgres: {json.dumps(result.extra['pg_waits'], ensure_ascii=False)}")
        return result


def _run(args: argparse.Namespace, home: Path, database_url: str) -> list[Figure]:
    bench = Bench(args, database_url)
    wanted = {name.strip().upper() for name in args.only.split(",")}
    env = {"JIEDAN_HOME": str(home)}
    figures = {
        "floor": Figure("floor", "bare FastAPI GET /healthz", None, [], [], []),
    }
    for suffix, _root in variants(args.compare_root, args.compare_label):
        figures[f"app{suffix}"] = Figure(f"app{suffix}", "jiedan GET /healthz", None, [], [], [])
        figures[f"P5{suffix}"] = Figure(p5.KEY + suffix, p5.WHAT, p5.TARGET, [], [], [])
        figures[f"P6{suffix}"] = Figure(p6.KEY + suffix, p6.WHAT, p6.TARGET, [], [], [])
    c = args.connections
    health: Plan = [[Request("GET", "/healthz")] for _ in range(c)]
    with ExitStack() as stack:
        floor_args, floor_port = floor_server(args.workers)
        floor_server_ = stack.enter_context(serving(floor_args, env=env, port=floor_port))
        apps: list[tuple[str, Served, Plan | None]] = []
        for suffix, root in variants(args.compare_root, args.compare_label):
            app_args, app_port = app_server(database_url, args.workers)
            spy = RESULTS / f"py-spy-P5P6{suffix}-{args.workers}w.txt" if args.py_spy else None
            if spy is not None:
                stack.callback(_spied, spy)  # runs after the server has stopped
            # P6 measures bids that are placed: see servers.CALM_RISK
            app_env = {**env, **CALM_RISK}
            app = stack.enter_context(
                serving(app_args, env=app_env, port=app_port, root=root, profile=spy)
            )
            apps.append((suffix, app, p5.prepare(app.base, c) if "P5" in wanted else None))
        for run in range(1, args.repeat + 1):
            _say(f"run {run}/{args.repeat} ({bench.loader}, {c} connections, {args.duration:g} s)")
            floor = bench.load(floor_server_, health, "floor: bare /healthz")
            figures["floor"].runs.append(floor)
            figures["floor"].floors.append(floor)
            for suffix, app, read_plan in apps if run % 2 else apps[::-1]:
                steps: list[tuple[str, Callable[[], LoadResult]]] = []
                if not args.py_spy:  # profiled, the app serves the figures alone
                    label = f"jiedan /healthz{suffix}"
                    steps.append(("app", partial(bench.load, app, health, label)))
                if read_plan is not None:
                    label = f"P5 orders list{suffix}"
                    steps.append(("P5", partial(bench.load, app, read_plan, label)))
                if "P6" in wanted:
                    figure = figures[f"P6{suffix}"]
                    steps.append(("P6", partial(_p6, bench, app, database_url, figure)))
                for key, step in steps:
                    figures[key + suffix].runs.append(step())
                    figures[key + suffix].floors.append(floor)
    return [f for f in figures.values() if f.runs]


def _spied(raw: Path) -> None:
    if raw.exists():
        _say(f"py-spy {raw}: {json.dumps(summarise(raw, 12), ensure_ascii=False, indent=1)}")


def _p6(bench: Bench, app: Served, database_url: str, figure: Figure) -> LoadResult:
    warm, plan, capacity = p6.prepare(app.base, database_url, bench.args.connections)
    result = bench.load(app, plan, f"{figure.key} place bid", warm=warm)
    if result.requests > capacity:
        figure.notes.append(
            f"{result.requests} bids > {capacity} prepared: repeats were refused; seed more orders"
        )
    return result


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    started = time.perf_counter()
    wanted = {name.strip().upper() for name in args.only.split(",")}
    other_rows = others.run(wanted, RESULTS, orders=args.others_orders)
    figures = _server_figures(args) if wanted & {"P5", "P6"} else []
    if "P10" in wanted:
        figures += p10.figures(args, _say)
    if figures:
        print(table(figures))
    if other_rows:
        print(others.table(other_rows))
    names = ("orders", "duration", "warmup", "connections", "repeat", "workers")
    settings = {k: getattr(args, k) for k in names}
    p10_keys = ("p10_repeat", "p10_clients", "p10_freelancers", "p10_max_flows")
    settings |= {k: getattr(args, k) for k in p10_keys}
    settings["loader"] = Bench(args).loader
    settings["database"] = (
        "given"
        if args.database_url
        else "postgresql (temporary)"
        if args.postgres
        else "sqlite (temporary)"
    )
    path = write_json(figures, settings, other_rows)
    _say(f"written {path} ({time.perf_counter() - started:.0f} s)")
    failed = [f.key for f in figures if f.passed is False]
    failed += [row["figure"] for row in other_rows if row.get("pass") is False]
    return 1 if failed and args.strict else 0


def _server_figures(args: argparse.Namespace) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="jiedan-bench-") as folder:
        home = Path(folder) / "home"
        home.mkdir()
        before = os.environ.get("JIEDAN_HOME")
        os.environ["JIEDAN_HOME"] = str(home)  # the seeding below, like the servers, stays here
        try:
            with ExitStack() as stack:
                if args.database_url:
                    database_url = args.database_url
                elif args.postgres:
                    database_url = stack.enter_context(throwaway_database())
                else:
                    database_url = f"sqlite:///{Path(folder) / 'bench.db'}"
                _say(f"seeding {args.orders} orders into {database_url} …")
                _seed(database_url, args.orders)
                return _run(args, home, database_url)
        finally:
            if before is None:
                os.environ.pop("JIEDAN_HOME", None)
            else:
                os.environ["JIEDAN_HOME"] = before


if __name__ == "__main__":
    raise SystemExit(main())
