"""The server's Prometheus metrics, and how they are gathered from several worker processes.

With PROMETHEUS_MULTIPROC_DIR set before prometheus_client is imported, every process writes
its samples to files there and GET /metrics sums them all (prometheus_client's multiprocess
mode); `jiedan server run` makes a fresh directory for each run (`prepare_metrics_dir`).
Without it, one process's own registry is answered."""

from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import tempfile

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# No `…_created` series beside each counter: the same answer with one worker or several
# (multiprocess mode has none), and half the series.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Labels stay few: a method no route has, or a path no route matches, is one value each.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "jiedan_http_requests",
    "HTTP requests answered, by route template, method and status",
    ("route", "method", "status"),
)
LATENCY = Histogram(
    "jiedan_http_request_duration_seconds",
    "Time from a request's arrival at the app to its last byte, by route template",
    ("route", "method"),
)
IN_PROGRESS = Gauge(
    "jiedan_http_requests_in_progress",
    "Requests being served now",
    multiprocess_mode="livesum",
)
OPS_PUSHED = Counter(
    "jiedan_sync_ops_pushed",
    "Operations clients pushed, by outcome (applied, rejected, duplicate, gap, conflict)",
    ("outcome",),
)
PULLS = Counter("jiedan_sync_pulls", "Pages of changes served to pulling clients")
CHANGES_PULLED = Counter("jiedan_sync_changes_pulled", "Changes sent to pulling clients")
JOB_RUNS = Counter("jiedan_job_runs", "Scheduled job runs, by job and outcome", ("job", "outcome"))


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def count_pushed(outcome: str) -> None:
    OPS_PUSHED.labels(outcome).inc()


def count_pull(changes: int) -> None:
    PULLS.inc()
    CHANGES_PULLED.inc(changes)


def count_job_run(job_name: str, outcome: str) -> None:
    """One run of a scheduled job, e.g. ("auto_release", "ok") or ("purge", "failed")."""
    JOB_RUNS.labels(job_name, outcome).inc()


# ---- several processes ---------------------------------------------------------------------


def shared_directory() -> str | None:
    """The directory every process writes its samples to, when this process does too (the
    variable set after prometheus_client was imported leaves this process on its own)."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path or values.ValueClass is values.MutexValue:
        return None
    return path


def prepare_metrics_dir() -> str:
    """Before the workers start: the operator's PROMETHEUS_MULTIPROC_DIR, or a fresh one for
    this run, removed when it ends (samples of an earlier run must not be summed in)."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        return given
    path = tempfile.mkdtemp(prefix="jiedan-metrics-")
    os.environ[MULTIPROC_ENV] = path
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


_LIVE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db$")


def forget_dead_processes(path: str) -> None:
    """A worker that died (uvicorn's supervisor starts another) leaves its in-progress count
    behind: drop the live gauges of every process that is gone."""
    pids = {
        int(match.group(1))
        for name in glob.glob(os.path.join(path, "gauge_live*.db"))
        if (match := _LIVE_FILE.search(name))
    }
    for pid in pids:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mark_this_process_dead() -> None:
    path = shared_directory()
    if path and os.path.isdir(path):
        multiprocess.mark_process_dead(os.getpid(), path)  # type: ignore[no-untyped-call]


atexit.register(_mark_this_process_dead)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type: every process's samples, or this one's."""
    path = shared_directory()
    if path is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    forget_dead_processes(path)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
