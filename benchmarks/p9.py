"""P9 of performance.md: `jiedan orders search 网站 --json` (cold process) and the dashboard's
first paint (as benchmarks/p7.py measures it), with 1,000,000 local orders, each as a ratio to
the same figure with 100,000 orders measured in the same run (interleaved, so drift hits both
alike). The cost must grow less than linearly: target ≤ 3×, moonshot ≤ 1.5×.

Both replicas are filled with P1/P2's generator (p1_p2.synthetic_orders) by the pull path's own
writer (store.apply._insert_orders: orders, their tags and full-text rows, 2,000 a
transaction, as pages arrive), without the server and without the page's bookkeeping; the
search texts of the generator's few distinct orders are computed once each. A million orders
take a minute or two this way, instead of ≈ 10 through `jiedan sync`.

    .venv/bin/python benchmarks/p9.py [--orders 100000] [--large 1000000] [--runs 5]
                                      [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.p7 import _dashboard  # noqa: E402

TARGET, MOONSHOT = 3.0, 1.5
BATCH = 2_000  # orders a transaction: a pull page
SEARCH = ["-m", "jiedan_cli", "orders", "search", "网站", "--json"]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def fill_replica(path: Path, count: int) -> float:
    """A replica of `count` synthetic orders, written as the pull writes them; seconds taken."""
    from benchmarks.p1_p2 import synthetic_orders
    from jiedan_cli.store.apply import OrderRow, _insert_orders, _order_row
    from jiedan_cli.store.db import open_db
    from jiedan_cli.store.transaction import transaction

    began = time.perf_counter()
    conn = open_db(path)
    conn.execute("UPDATE sync_state SET user_id = 'bench-user', cursor = 'bench'")
    conn.execute("PRAGMA synchronous=OFF")  # a throw-away file: no fsync a batch
    texts: dict[tuple[Any, ...], tuple[str, str]] = {}  # the generator repeats its texts
    batch: list[OrderRow] = []
    for n, order in enumerate(synthetic_orders(count), start=1):
        row = _order_row(order)
        key = (*row.values[1:4], *row.tags)
        row.text = texts.get(key) or texts.setdefault(key, row.index_text())
        batch.append(row)
        if len(batch) == BATCH or n == count:
            with transaction(conn):
                _insert_orders(conn, batch)
            batch = []
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - began


def _search_ms(env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, *SEARCH], env=env, capture_output=True, cwd=ROOT)
    elapsed = (time.perf_counter() - began) * 1000
    if done.returncode != 0 or not json.loads(done.stdout):
        raise SystemExit(f"orders search failed or found nothing:\n{done.stderr.decode()}")
    return elapsed


def _first_paint_ms(env: dict[str, str]) -> float:
    return float(_dashboard(env, typed=[])["first_paint_ms"])


def measure(homes: dict[str, Path], runs: int) -> dict[str, dict[str, list[float]]]:
    envs = {
        size: {**os.environ, "JIEDAN_HOME": str(home), "PYTHONPATH": str(ROOT)}
        for size, home in homes.items()
    }
    probes = {"search": _search_ms, "first paint": _first_paint_ms}
    for env in envs.values():  # warms the OS cache, as a second start of the day would be
        for probe in probes.values():
            probe(env)
    times: dict[str, dict[str, list[float]]] = {
        name: {size: [] for size in homes} for name in probes
    }
    for n in range(runs):
        for name, probe in probes.items():
            sizes = list(envs) if n % 2 == 0 else list(envs)[::-1]
            for size in sizes:
                times[name][size].append(probe(envs[size]))
    return times


def _short(count: int) -> str:
    """1000000 → 1M, 100000 → 100k: figure names that fit the report's column."""
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    return f"{count // 1_000}k" if count % 1_000 == 0 else str(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="the base size")
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the results here as JSON")
    args = parser.parse_args()
    load_before = os.getloadavg()
    sizes = {"base": args.orders, "large": args.large}
    with tempfile.TemporaryDirectory(prefix="jiedan-p9-") as tmp:
        homes = {}
        for size, count in sizes.items():
            home = Path(tmp) / size
            os.environ["JIEDAN_HOME"] = str(home)
            from jiedan_cli import locations

            seconds = fill_replica(locations.data_dir() / "jiedan.db", count)
            say(f"{count:,} orders written in {seconds:.0f} s")
            homes[size] = home
        times = measure(homes, args.runs)
    figures: dict[str, Any] = {}
    for name, by_size in times.items():
        base, large = (statistics.median(by_size[s]) for s in ("base", "large"))
        ratio = large / base
        figures[f"P9 {name} {_short(args.large)}/{_short(args.orders)}"] = {
            "median": round(ratio, 2),
            "target": f"<={TARGET:g}",
            "moonshot": f"<={MOONSHOT:g}",
            "pass": ratio <= TARGET,
            "base_ms": round(base, 1),
            "large_ms": round(large, 1),
            "base_runs_ms": [round(ms, 1) for ms in by_size["base"]],
            "large_runs_ms": [round(ms, 1) for ms in by_size["large"]],
        }
        say(
            f"{name:<12} {args.orders:>9,}: {base:7.1f} ms  {args.large:>9,}: {large:7.1f} ms"
            f"  ratio {ratio:.2f}× (target ≤ {TARGET:g}×, moonshot ≤ {MOONSHOT:g}×)"
        )
    document = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "orders": sizes,
        "runs": args.runs,
        "load_average_before": load_before,
        "load_average": os.getloadavg(),
        "figures": figures,
    }
    print(json.dumps(document, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
