"""P1–P4 and P7–P9 live in their own scripts (benchmarks/p1_p2.py, p3_p4.py, p7.py, p8.py,
p9.py); `python -m benchmarks` runs them as they are and folds their JSON into the one
report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "p1_p2.py": ("P1", "P2"),
    "p3_p4.py": ("P3", "P4"),
    "p7.py": ("P7",),
    "p8.py": ("P8",),
    "p9.py": ("P9",),
}
# P8 builds no replica of the market: it takes no --orders.
SIZED = {"p1_p2.py", "p3_p4.py", "p7.py", "p9.py"}


def run_script(script: str, out: Path, *, orders: int | None = None) -> dict[str, Any]:
    print(f"running benchmarks/{script} …", file=sys.stderr, flush=True)
    command = [sys.executable, str(HERE / script), "--out", str(out)]
    if orders is not None and script in SIZED:
        command += ["--orders", str(orders)]
    done = subprocess.run(command, cwd=HERE.parent, check=False)
    if done.returncode != 0 or not out.exists():
        return {"error": f"benchmarks/{script} exited {done.returncode}"}
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


def rows(script: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """One {figure, value, target, pass} row per figure of a script's JSON."""
    if "error" in result:
        return [{"figure": "/".join(SCRIPTS[script]), "value": result["error"], "pass": False}]
    if script == "p1_p2.py":
        floor = result.get("floor_ms")
        return [
            {
                "figure": name,
                "value": f"{result[name]['median_ms']} ms = {result[name]['ratio']}× floor "
                f"({floor} ms)",
                "target": f"≤ {result[name]['target']}× floor",
                "pass": result[name]["ok"],
            }
            for name in ("P1", "P2")
            if name in result
        ]
    if script == "p7.py":
        return _p7_rows(result)
    return [
        {
            "figure": name,
            "value": f"{fig['median']:g}",
            "target": fig["target"],
            "pass": fig["pass"],
        }
        for name, fig in result.get("figures", {}).items()
    ]


def _p7_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """P7's three figures (absolute: P7 has no floor), with p7.py's own targets."""
    from benchmarks.p7 import MOONSHOTS, TARGETS

    found = []
    for name, key, target in (
        ("P7 first paint ms", "first_paint_ms", "first_paint_ms"),
        ("P7 keystroke p90 ms", "keystroke_p90_ms", "keystroke_ms"),
        ("P7 peak RSS MB", "rss_mb", "rss_mb"),
    ):
        moonshot = MOONSHOTS.get(target)
        found.append(
            {
                "figure": name,
                "value": f"{result[key]:.1f}",
                "target": f"<={TARGETS[target]:g}"
                + (f" (moon <={moonshot:g})" if moonshot else ""),
                "pass": result[key] <= TARGETS[target],
            }
        )
    return found


def run(wanted: set[str], results_dir: Path, *, orders: int | None = None) -> list[dict[str, Any]]:
    results_dir.mkdir(parents=True, exist_ok=True)
    found: list[dict[str, Any]] = []
    for script, figures in SCRIPTS.items():
        if wanted & set(figures):
            out = results_dir / script.replace(".py", ".json")
            out.unlink(missing_ok=True)  # never report a previous run's figures
            found += rows(script, run_script(script, out, orders=orders))
    return found


def table(found: list[dict[str, Any]]) -> str:
    lines = [f"{'figure':<28} {'value':<40} {'target':<22} pass", "-" * 98]
    for row in found:
        passed = row.get("pass")
        verdict = "-" if passed is None else "PASS" if passed else "FAIL"
        lines.append(
            f"{row['figure']:<28} {row['value']!s:<40.40} {row.get('target', '')!s:<22} {verdict}"
        )
    return "\n".join(lines)
