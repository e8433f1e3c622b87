"""Servers under test, each uvicorn on 127.0.0.1 with N workers: the real app (`jiedan server
run --workers N`) and the floor (`benchmarks.floor_app --workers N`), started the same way."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
# The secrets every process of a PostgreSQL deployment must share (the server refuses to
# start without them there); on SQLite they only replace the key files it would make.
SHARED_SECRETS = {
    "JIEDAN_SERVER_SECRET_KEY": "benchmark secret key",
    "JIEDAN_SERVER_SANDBOX_WEBHOOK_SECRET": "benchmark webhook secret",
    # A benchmark's load is not rate limited: each process counts in its own memory, far
    # below these limits (the limiter's cost is measured all the same).
    "JIEDAN_SERVER_RATE_LIMIT_STORAGE": "memory://",
    "JIEDAN_SERVER_RATE_LIMIT_USER_WRITES": "1000000/minute",
    "JIEDAN_SERVER_RATE_LIMIT_ADDRESS_WRITES": "1000000/minute",
}

# The risk engine assesses and records every action but holds none. The bench's accounts are
# minutes old and act in bursts (P4: 500 bids from one account; P6: 32 accounts bidding a few
# times a second each), which the engine rightly holds for review — 28% of P6's bids were
# held (202) in a run at 01:45 UTC 2026-12-07, each a hold, an audit row and an undone
# savepoint. P4 and P6 measure operations that apply; what holding costs is not their figure.
CALM_RISK = {"JIEDAN_SERVER_RISK_REVIEW_AT": "1000000", "JIEDAN_SERVER_RISK_BLOCK_AT": "1000000"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's workers are children of its supervisor)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))  # field 4: ppid
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def cpu_seconds_of(pids: list[int]) -> float | None:
    """CPU time the processes have used (all threads), or None off Linux."""
    total, known = 0.0, False
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14, 15 of stat(5)
            known = True
    return total / os.sysconf("SC_CLK_TCK") if known else None


def parent_of(pid: int) -> int | None:
    """The parent process of `pid` (stat's field 4), None when it is gone or off Linux."""
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[1])


def cpu_seconds_with_reaped(root: int) -> float | None:
    """CPU time of `root`'s live process tree plus that of the children it has reaped
    (stat's cutime and cstime): for PostgreSQL's postmaster, every backend's, those that
    came and went inside a window too (a pool's overflow connections)."""
    fields = _stat_fields(root)
    live = cpu_seconds_of(process_tree(root))
    if fields is None or live is None:
        return None
    return live + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Served:
    base: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """CPU time the server (supervisor and workers) has used. Per request it is a
        steadier figure than req/s when other work shares the machine."""
        return cpu_seconds_of(process_tree(self.pid))


def py_spy() -> str | None:
    """py-spy (`pip install py-spy`), from JIEDAN_BENCH_PY_SPY, the PATH, or beside this
    Python (a venv's bin/, not on the PATH when `.venv/bin/python -m benchmarks` runs)."""
    return (
        os.environ.get("JIEDAN_BENCH_PY_SPY")
        or shutil.which("py-spy")
        or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    )


# `--gil` (the default): only the thread holding the GIL, i.e. Python running. It leaves out
# what runs without the GIL — SQLite's own work, system calls — so for where a thread's CPU
# goes, JIEDAN_BENCH_PY_SPY_MODE="--threads" samples every thread that is not idle.
def py_spy_mode() -> list[str]:
    return os.environ.get("JIEDAN_BENCH_PY_SPY_MODE", "--gil").split()


@contextmanager
def serving(
    args: list[str],
    *,
    env: dict[str, str],
    port: int,
    root: Path = ROOT,
    profile: Path | None = None,
) -> Iterator[Served]:
    """Run `python <args>` in `root` (whose jiedan_cli it imports: `python -m` puts the
    working directory first) until the block ends; yields it once /healthz answers. With
    `profile`, under `py-spy record` (every worker, raw stacks written there at the end)."""
    log = open(Path(env["JIEDAN_HOME"]) / f"server-{port}.log", "w")  # noqa: SIM115
    command = [sys.executable, *args]
    spy = py_spy() if profile is not None else None
    if profile is not None:
        if spy is None:
            raise RuntimeError(
                "profiling needs py-spy: pip install py-spy (or JIEDAN_BENCH_PY_SPY)"
            )
        profile.parent.mkdir(parents=True, exist_ok=True)
        record = [spy, "record", "--subprocesses", "--nonblocking", *py_spy_mode(), "--rate", "100"]
        command = [*record, "--format", "raw", "--output", str(profile), "--", *command]
    process = subprocess.Popen(
        command,
        cwd=root,
        env={
            **os.environ,
            **SHARED_SECRETS,
            "JIEDAN_SERVER_REGISTRATIONS_PER_ADDRESS_HOUR": "0",  # every user from 127.0.0.1
            **env,
        },
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base, log.name)
        # under py-spy the server is its child: measure and stop that one
        server = process.pid if spy is None else process_tree(process.pid)[1]
        yield Served(base, server)
    finally:
        if spy is not None and process.poll() is None and len(process_tree(process.pid)) > 1:
            os.kill(process_tree(process.pid)[1], signal.SIGTERM)  # py-spy writes, then exits
        else:
            process.terminate()  # uvicorn's supervisor stops its workers on SIGTERM
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_healthy(process: subprocess.Popen[bytes], base: str, log_path: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited; see {log_path}:\n{Path(log_path).read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {base}/healthz within 120 s; see {log_path}")


def variants(compare_root: str | None, label: str) -> list[tuple[str, Path]]:
    """(suffix of the figure keys, source tree the app is served from): this checkout, and
    `compare_root` (--compare-root, e.g. an experiment), measured side by side in each run."""
    found = [("", ROOT)]
    if compare_root:
        found.append((f"@{label}", Path(compare_root).resolve()))
    return found


def app_server(database_url: str, workers: int = 1) -> tuple[list[str], int]:
    port = free_port()
    args = ["-m", "jiedan_cli", "server", "run", "--port", str(port), "--workers", str(workers)]
    return [*args, "--database-url", database_url], port


def floor_server(workers: int = 1) -> tuple[list[str], int]:
    port = free_port()
    return ["-m", "benchmarks.floor_app", "--port", str(port), "--workers", str(workers)], port


def client_sync(code: str, replica: Path, base: str, token: str) -> dict[str, Any]:
    """Run a client sync (`code`: a script given the replica's path and the server's URL,
    printing one JSON object) in a process of its own, signed in with `token`; its JSON."""
    env = {**os.environ, "JIEDAN_TOKEN": token, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(replica), base],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the client sync failed:\n{done.stderr}")
    measured: dict[str, Any] = json.loads(done.stdout)
    return measured
