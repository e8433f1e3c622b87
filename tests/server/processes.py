"""Real `jiedan server run` processes for the tests about several processes: each on a free
loopback port, against a throw-away PostgreSQL database, stopped by its own PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_URL, pg_problem
from tests.server.conftest import CALM

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("JIEDAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
METRICS_TOKEN = "multi-process-metrics-token"  # JIEDAN_SERVER_METRICS_TOKEN of these servers
SHARED_SECRETS = {
    "JIEDAN_SERVER_SECRET_KEY": "multi-process-test-key",
    "JIEDAN_SERVER_SANDBOX_WEBHOOK_SECRET": "multi-process-test-webhook",
}


def rate_limits_of(database_url: str) -> dict[str, str]:
    """The servers of one test count writes in the local Redis (as several processes must),
    under keys of their own (the test's database name), with limits no test but those about
    rate limits (which set their own) meets."""
    return {
        "JIEDAN_SERVER_RATE_LIMIT_STORAGE": REDIS_URL,
        "JIEDAN_SERVER_RATE_LIMIT_KEY_PREFIX": database_url.rsplit("/", 1)[-1],
        "JIEDAN_SERVER_RATE_LIMIT_USER_WRITES": "1000000/minute",
        "JIEDAN_SERVER_RATE_LIMIT_ADDRESS_WRITES": "1000000/minute",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_postgres() -> None:
    problem = pg_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (not a schema: advisory locks, LISTEN/NOTIFY and
    connection counts are per database), dropped afterwards, connections and all."""
    require_postgres()
    import psycopg

    name = f"jiedan_t_{uuid.uuid4().hex[:12]}"
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.split("?", 1)[0].rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class ServerProcess:
    """One `jiedan server run` and how to reach it."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    base: str = field(init=False)

    def __post_init__(self) -> None:
        self.base = f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, path: str = "/readyz", timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.log()}")
            try:
                if httpx.get(f"{self.base}{path}", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.base}{path} did not answer 200 in {timeout} s:\n{self.log()}")

    def metric_totals(self, metric: str, label: str) -> dict[str, float]:
        """A counter of this server's /metrics (every worker's summed), by one label."""
        from prometheus_client.parser import text_string_to_metric_families

        response = httpx.get(
            f"{self.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert response.status_code == 200, response.text
        totals: dict[str, float] = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name == metric:
                    key = sample.labels[label]
                    totals[key] = totals.get(key, 0.0) + sample.value
        return totals

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM to this process (uvicorn's graceful shutdown), SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


def start_server(
    database_url: str,
    log_dir: Path,
    *,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> ServerProcess:
    """Start `jiedan server run` (not waiting for it: see `wait_ready`)."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    environment = {
        **os.environ,
        **SHARED_SECRETS,
        "JIEDAN_SERVER_METRICS_TOKEN": METRICS_TOKEN,
        # Every test account registers from 127.0.0.1.
        "JIEDAN_SERVER_REGISTRATIONS_PER_ADDRESS_HOUR": "0",
        # … and is minutes old, which the risk engine would rightly hold as soon as an amount
        # is large: it records every action here but holds none (tests/server/conftest.CALM).
        **{f"JIEDAN_SERVER_{name.upper()}": str(value) for name, value in CALM.items()},
        "JIEDAN_HOME": str(log_dir / f"home-{port}"),
        **rate_limits_of(database_url),
    }
    environment.update(env or {})
    command = [sys.executable, "-m", "jiedan_cli", "server", "run", "--port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*command, "--database-url", database_url, *args],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(process, port, log_path)


@contextmanager
def running_servers(
    database_url: str,
    log_dir: Path,
    count: int,
    *,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    ready_path: str = "/readyz",
) -> Iterator[list[ServerProcess]]:
    """`count` servers on one database, started at once; yields them once all are ready."""
    with ExitStack() as stack:
        servers = []
        for _ in range(count):
            server = start_server(database_url, log_dir, args=args, env=env)
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:
            server.wait_ready(ready_path)
        yield servers
