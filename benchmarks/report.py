"""Targets, figures, the printed table and benchmarks/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.load import LoadResult

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Target:
    min_ratio: float
    max_p99_ms: float | None  # None: the figure sets no latency bound
    max_errors: int = 0
    moonshot_ratio: float | None = None

    def describe(self) -> str:
        p99 = "" if self.max_p99_ms is None else f"p99 ≤{self.max_p99_ms:g} ms, "
        return f"≥{self.min_ratio:g}× floor, {p99}{self.max_errors} errors"


@dataclass
class Figure:
    key: str
    what: str
    target: Target | None
    runs: list[LoadResult]
    floors: list[LoadResult]
    notes: list[str]
    # what a check after the load found wrong (P10: the ledger); any fails the figure
    failures: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    @property
    def floor_rps(self) -> float:
        return statistics.median(f.rps for f in self.floors)

    @property
    def ratio(self) -> float:
        # per run against that run's floor, then the median: the machine drifts between runs
        return statistics.median(r.rps / f.rps for r, f in zip(self.runs, self.floors, strict=True))

    @property
    def p50_ms(self) -> float:
        return statistics.median(r.p50_ms for r in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def cpu_ms(self) -> float | None:
        known = [r.server_cpu_ms for r in self.runs if r.server_cpu_ms is not None]
        return statistics.median(known) if known else None

    @property
    def cpu_ratio(self) -> float | None:
        """Floor CPU per request / this CPU per request: the req/s ratio to expect when the
        server has a core to itself — steadier than `ratio` on a busy machine."""
        pairs = [
            f.server_cpu_ms / r.server_cpu_ms
            for r, f in zip(self.runs, self.floors, strict=True)
            if r.server_cpu_ms and f.server_cpu_ms
        ]
        return statistics.median(pairs) if pairs else None

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        t = self.target
        return (
            self.ratio >= t.min_ratio
            and (t.max_p99_ms is None or self.p99_ms <= t.max_p99_ms)
            and self.errors <= t.max_errors
            and not self.failures
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.key,
            "what": self.what,
            "rps": round(self.rps, 1),
            "floor_rps": round(self.floor_rps, 1),
            "ratio": round(self.ratio, 3),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
            "server_cpu_ms_per_request": None if self.cpu_ms is None else round(self.cpu_ms, 3),
            "cpu_ratio": None if self.cpu_ratio is None else round(self.cpu_ratio, 3),
            "target": None if self.target is None else self.target.describe(),
            "moonshot_ratio": None if self.target is None else self.target.moonshot_ratio,
            "pass": self.passed,
            "runs": [r.as_dict() for r in self.runs],
            "floors": [f.as_dict() for f in self.floors],
            "notes": self.notes,
            "failures": self.failures,
        }


def table(figures: list[Figure]) -> str:
    head = (
        f"{'figure':<34} {'req/s':>8} {'floor':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'cpu ms':>7} {'cpu×':>5}  {'target':<40} pass"
    )
    lines = [head, "-" * len(head)]
    for f in figures:
        verdict = {True: "PASS", False: "FAIL", None: "-"}[f.passed]
        target = f.target.describe() if f.target else "(diagnostic)"
        cpu = "-" if f.cpu_ms is None else f"{f.cpu_ms:.2f}"
        cpu_ratio = "-" if f.cpu_ratio is None else f"{f.cpu_ratio:.2f}"
        lines.append(
            f"{f.key + ' ' + f.what:<34.34} {f.rps:>8.0f} {f.floor_rps:>8.0f} {f.ratio:>6.2f} "
            f"{f.p50_ms:>7.1f} {f.p99_ms:>7.1f} {f.errors:>6} {cpu:>7} {cpu_ratio:>5}  "
            f"{target:<40} {verdict}"
        )
        lines += [f"  {f.key}: {note}" for note in f.notes]
        lines += [f"  {f.key}: FAILED CHECK {failure}" for failure in f.failures]
    lines.append(
        "ratio = req/s ÷ floor req/s (the target); cpu ms = server CPU per request; "
        "cpu× = floor CPU ÷ CPU per request (the ratio to expect on an idle machine)"
    )
    return "\n".join(lines)


def write_json(
    figures: list[Figure], settings: dict[str, Any], other_figures: list[dict[str, Any]]
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "latest.json"
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(),
        },
        "settings": settings,
        "figures": [f.as_dict() for f in figures],
        # P1–P4 from their own scripts (benchmarks/others.py); their full JSON sits beside this
        "other_figures": other_figures,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
