"""Servers under test, each a uvicorn process on 127.0.0.1 with one worker: the real app
(`jiedan server run`) and the floor (`benchmarks.floor_app`), started the same way."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    base: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used (all threads), or None off Linux. Per request
        it is a steadier figure than req/s when other work shares the machine."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
        return (utime + stime) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(args: list[str], *, env: dict[str, str], port: int) -> Iterator[Served]:
    """Run `python <args>` until the block ends; yields it once /healthz answers."""
    log = open(Path(env["JIEDAN_HOME"]) / f"server-{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base, log.name)
        yield Served(base, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
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


def app_server(database_url: str) -> tuple[list[str], int]:
    port = free_port()
    args = ["-m", "jiedan_cli", "server", "run", "--port", str(port)]
    return [*args, "--database-url", database_url], port


def floor_server() -> tuple[list[str], int]:
    port = free_port()
    return ["-m", "benchmarks.floor_app", "--port", str(port)], port
