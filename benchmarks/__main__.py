"""`python -m benchmarks` (`make bench`): every figure of performance.md that has a bench.

P1–P4 run their own scripts (benchmarks/p1_p2.py, p3_p4.py; see others.py). P5 and P6 are
here: seeds a throw-away SQLite database (20k orders by default), serves it with `jiedan server
run` (uvicorn, one worker) and the floor app the same way, then for each repetition measures
the floor, the app's own /healthz (a diagnostic: middleware cost), P5 and P6 with 32
connections after a warm-up. Prints the table and writes benchmarks/results/latest.json."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from benchmarks import others, p5, p6
from benchmarks.load import LoadResult, Plan, Request, have_wrk, measure
from benchmarks.report import RESULTS, Figure, table, write_json
from benchmarks.servers import Served, app_server, floor_server, serving


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000, help="orders to seed for P5/P6")
    parser.add_argument(
        "--others-orders", type=int, help="--orders for the P1–P4 scripts (default: theirs, 100k)"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians are reported")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--only", default="P1,P2,P3,P4,P5,P6", help="comma-separated figures")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--database-url", help="an EMPTY database to seed (default: a temporary SQLite file)"
    )
    return parser.parse_args(argv)


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
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.loader = args.loader if args.loader != "auto" else ("wrk" if have_wrk() else "python")

    def load(self, server: Served, plan: Plan, label: str, warm: Plan | None = None) -> LoadResult:
        measure(server.base, warm or plan, duration=self.args.warmup, loader=self.loader)
        cpu_before = server.cpu_seconds()
        result = measure(server.base, plan, duration=self.args.duration, loader=self.loader)
        cpu_after = server.cpu_seconds()
        if cpu_before is not None and cpu_after is not None and result.requests:
            result.server_cpu_ms = (cpu_after - cpu_before) * 1000 / result.requests
        _say(
            f"  {label:<24} {result.rps:7.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
            f"p99 {result.p99_ms:6.1f} ms  errors {result.errors}  "
            f"server CPU {result.server_cpu_ms or float('nan'):.2f} ms/req"
        )
        return result


def _run(args: argparse.Namespace, home: Path, database_url: str) -> list[Figure]:
    bench = Bench(args)
    wanted = {name.strip().upper() for name in args.only.split(",")}
    env = {"JIEDAN_HOME": str(home)}
    figures = {
        "floor": Figure("floor", "bare FastAPI GET /healthz", None, [], [], []),
        "app": Figure("app", "jiedan GET /healthz", None, [], [], []),
        "P5": Figure(p5.KEY, p5.WHAT, p5.TARGET, [], [], []),
        "P6": Figure(p6.KEY, p6.WHAT, p6.TARGET, [], [], []),
    }
    c = args.connections
    health: Plan = [[Request("GET", "/healthz")] for _ in range(c)]
    with ExitStack() as stack:
        floor_args, floor_port = floor_server()
        floor_server_ = stack.enter_context(serving(floor_args, env=env, port=floor_port))
        app_args, app_port = app_server(database_url)
        app = stack.enter_context(serving(app_args, env=env, port=app_port))
        read_plan = p5.prepare(app.base, c) if "P5" in wanted else None
        for run in range(1, args.repeat + 1):
            _say(f"run {run}/{args.repeat} ({bench.loader}, {c} connections, {args.duration:g} s)")
            floor = bench.load(floor_server_, health, "floor: bare /healthz")
            steps: list[tuple[str, Callable[[], LoadResult]]] = [
                ("app", lambda: bench.load(app, health, "jiedan /healthz"))
            ]
            if read_plan is not None:
                steps.append(("P5", lambda: bench.load(app, read_plan, "P5 orders list")))
            if "P6" in wanted:
                steps.append(("P6", lambda: _p6(bench, app, database_url, figures["P6"])))
            figures["floor"].runs.append(floor)
            figures["floor"].floors.append(floor)
            for key, step in steps:
                figures[key].runs.append(step())
                figures[key].floors.append(floor)
    return [f for f in figures.values() if f.runs]


def _p6(bench: Bench, app: Served, database_url: str, figure: Figure) -> LoadResult:
    warm, plan, capacity = p6.prepare(app.base, database_url, bench.args.connections)
    result = bench.load(app, plan, "P6 place bid", warm=warm)
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
    if figures:
        print(table(figures))
    if other_rows:
        print(others.table(other_rows))
    settings = {
        k: getattr(args, k) for k in ("orders", "duration", "warmup", "connections", "repeat")
    }
    settings["loader"] = Bench(args).loader
    settings["database"] = "sqlite (temporary)" if not args.database_url else "given"
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
            database_url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
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
