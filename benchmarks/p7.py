"""P7 of performance.md: `jiedan tui` over a replica of 100,000 orders.

Builds the replica through the real pull path (p1_p2.build_replica), then, in fresh
processes (cold: imports included), runs the dashboard headless at 120×40 and measures

    first paint   process start → the orders board has drawn its first page of rows
    keystroke     a key event reaches the app (as the terminal driver delivers it) → the
                  board has drawn that query's rows (each prefix of 网站建设, 设计 and logo,
                  then backspaces back to nothing)
    RSS           the process's peak resident set

"Drawn" is the table's first render_line after it was given the rows (instrumented in the
child). Headless: Textual composes every frame as on a terminal, without writing it out.
The figures
are absolute (P7 has no floor); as the machine is shared, the run also measures, interleaved,
the first paint of a bare Textual app the same way (the floor no dashboard can beat), and
times `python -c "import sqlite3"` and `import textual.app` so a reader can judge the machine.

    .venv/bin/python benchmarks/p7.py [--orders 100000] [--runs 5] [--out FILE.json]
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
TARGETS = {"first_paint_ms": 1000.0, "keystroke_ms": 100.0, "rss_mb": 250.0}
MOONSHOTS = {"first_paint_ms": 500.0, "keystroke_ms": 30.0}
TYPED = ["网", "站", "建", "设", "backspace", "backspace", "backspace", "backspace"]
TYPED += ["设", "计", "backspace", "backspace", "l", "o", "g", "o"]
TYPED += ["backspace"] * 4

CHILD = r"""
import asyncio, json, resource, sys, time
began = float(sys.argv[1])
typed = json.loads(sys.argv[2])
from textual import events
from jiedan_cli.tui.app import JiedanApp
from jiedan_cli.tui.screens.orders_board import OrdersBoard
from jiedan_cli.tui.widgets.orders_table import OrdersTable

# When the table was given rows, and when it last drew a line: a paint of new rows is a
# render_line call after a show.
marks = {"shown": 0.0, "painted": 0.0}
show, render_line = OrdersTable.show, OrdersTable.render_line
def timed_show(self, rows):
    show(self, rows)
    marks["shown"] = time.perf_counter()
def timed_render_line(self, y):
    strip = render_line(self, y)
    marks["painted"] = time.perf_counter()
    return strip
OrdersTable.show, OrdersTable.render_line = timed_show, timed_render_line

async def until(ready, limit=60.0):
    give_up = time.perf_counter() + limit
    while not ready():
        if time.perf_counter() > give_up:
            raise SystemExit("timed out")
        await asyncio.sleep(0.0005)

def key_event(key):
    char = {"backspace": None}.get(key, key)
    return events.Key(key, char)

async def main():
    app = JiedanApp(background_sync=False, remember=False)
    async with app.run_test(size=(120, 40)) as pilot:
        board = lambda: app.screen if isinstance(app.screen, OrdersBoard) else None
        await until(lambda: board() is not None and board().shown_count >= 1
                    and marks["painted"] > marks["shown"] > 0)
        first_paint = time.time() - began - (time.perf_counter() - marks["painted"])
        rows = len(board().shown.orders)
        search = board().query_one("#board-search")
        search.focus()
        await pilot.pause()
        keystrokes, queries = [], []
        for key in typed:
            drawn = board().shown_count
            start = time.perf_counter()
            app._driver.send_message(key_event(key))  # as the terminal driver does
            await until(lambda: board().shown_count > drawn
                        and board().shown.query == search.value
                        and marks["painted"] > marks["shown"])
            keystrokes.append((marks["painted"] - start) * 1000)
            queries.append((search.value, len(board().shown.orders), board().shown.seconds * 1000))
            await pilot.pause()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"first_paint_ms": first_paint * 1000, "rows": rows,
                      "keystroke_ms": keystrokes, "queries": queries, "rss_mb": rss}))

asyncio.run(main())
"""


FLOOR = r"""
import asyncio, sys, time
began = float(sys.argv[1])
from textual.app import App
from textual.widgets import Footer, Header, Static

painted = []
class Hello(Static):
    def render_line(self, y):
        painted.append(time.perf_counter())
        return super().render_line(y)

class Floor(App):
    def compose(self):
        yield Header()
        yield Hello("hello")
        yield Footer()

async def main():
    async with Floor().run_test(size=(120, 40)):
        while not painted:
            await asyncio.sleep(0.0005)
    print((time.time() - began - (time.perf_counter() - painted[0])) * 1000)

asyncio.run(main())
"""


def _textual_floor(env: dict[str, str]) -> float:
    """First paint of a Textual app with a header, one line and a footer, in ms."""
    done = subprocess.run(
        [sys.executable, "-c", FLOOR, repr(time.time())],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def _cold(program: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, *program], env=env, check=True, capture_output=True)
    return (time.perf_counter() - began) * 1000


def _dashboard(env: dict[str, str], typed: list[str] = TYPED) -> dict[str, Any]:
    """One cold dashboard: its first paint, then a repaint a key of `typed` (P9: none)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, repr(time.time()), json.dumps(typed)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"the dashboard run failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(home: Path, runs: int) -> dict[str, Any]:
    env = {**os.environ, "JIEDAN_HOME": str(home), "PYTHONPATH": str(ROOT)}
    _dashboard(env)  # warms the OS cache
    results, floors = [], []
    for _ in range(runs):  # interleaved, so drift hits both alike
        floors.append(_textual_floor(env))
        results.append(_dashboard(env))
    floor = statistics.median(_cold(["-c", "import sqlite3"], env) for _ in range(runs))
    textual = statistics.median(_cold(["-c", "import textual.app"], env) for _ in range(runs))
    strokes = sorted(ms for r in results for ms in r["keystroke_ms"])
    return {
        "first_paint_ms": statistics.median(r["first_paint_ms"] for r in results),
        "first_paint_runs_ms": [round(r["first_paint_ms"], 1) for r in results],
        "textual_floor_first_paint_ms": statistics.median(floors),
        "first_paint_vs_floor": statistics.median(
            r["first_paint_ms"] / f for r, f in zip(results, floors, strict=True)
        ),
        "keystroke_median_ms": statistics.median(strokes),
        "keystroke_p90_ms": strokes[int(len(strokes) * 0.9)],
        "keystroke_max_ms": strokes[-1],
        "keystrokes": len(strokes),
        "rss_mb": max(r["rss_mb"] for r in results),
        "rows_on_first_page": results[0]["rows"],
        "queries_last_run": [
            {"query": q, "rows": n, "query_ms": round(ms, 2)} for q, n, ms in results[-1]["queries"]
        ],
        "floor_import_sqlite3_ms": floor,
        "import_textual_app_ms": textual,
    }


def report(figures: dict[str, Any]) -> list[str]:
    checks = [
        ("first paint", figures["first_paint_ms"], "ms", "first_paint_ms"),
        ("keystroke p90", figures["keystroke_p90_ms"], "ms", "keystroke_ms"),
        ("peak RSS", figures["rss_mb"], "MB", "rss_mb"),
    ]
    lines = [f"{'figure':<16}{'measured':>12}  {'target':>10}  {'moonshot':>9}  pass"]
    for label, value, unit, key in checks:
        moon = MOONSHOTS.get(key)
        lines.append(
            f"{label:<16}{value:>9.1f} {unit:<2}  ≤{TARGETS[key]:>7.0f} {unit}  "
            f"{'≤' + format(moon, '.0f') + ' ' + unit if moon else '-':>9}  "
            f"{'PASS' if value <= TARGETS[key] else 'FAIL'}"
        )
    lines.append(
        f"first paint is {figures['first_paint_vs_floor']:.2f}× the first paint of a bare "
        f"Textual app (header, a line, footer): {figures['textual_floor_first_paint_ms']:.0f} ms"
    )
    lines.append(
        f"keystrokes: median {figures['keystroke_median_ms']:.1f} ms, "
        f"max {figures['keystroke_max_ms']:.1f} ms over {figures['keystrokes']}; "
        f"context: import sqlite3 {figures['floor_import_sqlite3_ms']:.0f} ms, "
        f"import textual.app {figures['import_textual_app_ms']:.0f} ms"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the results here as JSON")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from benchmarks.p1_p2 import build_replica

    with tempfile.TemporaryDirectory(prefix="jiedan-p7-") as tmp:
        home = Path(tmp)
        os.environ["JIEDAN_HOME"] = str(home)
        from jiedan_cli import locations

        build_replica(locations.data_dir() / "jiedan.db", args.orders)
        figures = {"orders": args.orders, "runs": args.runs, **measure(home, args.runs)}
    for line in report(figures):
        print(line, file=sys.stderr)
    figures["pass"] = all(
        figures[k] <= TARGETS[t]
        for k, t in (
            ("first_paint_ms", "first_paint_ms"),
            ("keystroke_p90_ms", "keystroke_ms"),
            ("rss_mb", "rss_mb"),
        )
    )
    print(json.dumps(figures, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
