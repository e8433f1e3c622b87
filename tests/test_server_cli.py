"""`jiedan server seed` and `jiedan server run --demo` as a user runs them: real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.server.processes import free_port

JIEDAN = [sys.executable, "-m", "jiedan_cli"]
pytestmark = pytest.mark.processes  # `jiedan server …` as processes, some serving


def test_server_seed_fills_a_database(tmp_path: Path) -> None:
    path = tmp_path / "seeded.db"
    seed = ["server", "seed", "--orders", "50", "--clients", "5", "--freelancers", "8"]
    done = subprocess.run(
        [*JIEDAN, *seed, "--database-url", f"sqlite:///{path}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    assert "seeded 50 orders" in done.stderr
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM orders")) == 50
        assert conn.scalar(text("SELECT count(*) FROM users")) == 13
    engine.dispose()


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    run = ["server", "run", "--demo", "--port", str(port)]
    process = subprocess.Popen(
        [*JIEDAN, *run, "--database-url", f"sqlite:///{tmp_path / 'demo.db'}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {process.stderr.read() if process.stderr else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the demo server did not answer /healthz within 90 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_server_run_demo_serves_the_demo_marketplace(demo_server: str) -> None:
    with httpx.Client(base_url=demo_server, timeout=10) as client:
        listed = client.get("/v1/orders", params={"limit": 20})
        assert listed.status_code == 200
        assert len(listed.json()["items"]) == 20
        assert client.get("/docs").status_code == 200
        signed_in = client.post(
            "/v1/auth/login", json={"email": "demo@jiedan.dev", "password": "jiedan-demo"}
        )
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        my_bids = client.get("/v1/bids", headers=headers)
        assert my_bids.status_code == 200
        assert my_bids.json()


def _run_server_briefly(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*JIEDAN, "server", *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_server_run_on_postgresql_refuses_to_start_without_the_shared_secrets() -> None:
    """Each host would otherwise make its own key, and 2FA started on one could not be
    confirmed on another: one line names the setting, exit 2, before any connection."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEDAN_SERVER_")}
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    done = _run_server_briefly(["run", "--database-url", url], env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: JIEDAN_SERVER_SECRET_KEY (or JIEDAN_SERVER_SECRET_KEY_FILE) must be set on"
        " PostgreSQL: every server process must share it"
    ]
    done = _run_server_briefly(
        ["run", "--database-url", url], {**env, "JIEDAN_SERVER_SECRET_KEY": "k"}
    )
    assert done.returncode == 2
    assert "JIEDAN_SERVER_SANDBOX_WEBHOOK_SECRET" in done.stderr


def test_secrets_may_be_named_by_files(tmp_path: Path) -> None:
    from jiedan_cli.server.config import MissingSecret, Settings

    key, webhook = tmp_path / "key", tmp_path / "webhook"
    key.write_text("from-a-file\n")
    webhook.write_text("hook\n")
    env = {
        "JIEDAN_SERVER_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/x",
        "JIEDAN_SERVER_SECRET_KEY_FILE": str(key),
        "JIEDAN_SERVER_SANDBOX_WEBHOOK_SECRET_FILE": str(webhook),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        settings = Settings.from_env()
        assert (settings.secret_key, settings.sandbox_webhook_secret) == ("from-a-file", "hook")
        patch.setenv("JIEDAN_SERVER_SECRET_KEY_FILE", str(tmp_path / "missing"))
        with pytest.raises(MissingSecret, match="JIEDAN_SERVER_SECRET_KEY_FILE: cannot read"):
            Settings.from_env()


def test_more_than_one_worker_on_sqlite_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    done = _run_server_briefly(["run", "--workers", "2", "--database-url", url], dict(os.environ))
    assert done.returncode == 2
    assert "SQLite serves from one process" in done.stderr


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from jiedan_cli.domain.errors import InvalidInput
    from jiedan_cli.server.config import Settings

    monkeypatch.setenv("JIEDAN_SERVER_DB_POOL_SIZE", "3")
    monkeypatch.setenv("JIEDAN_SERVER_RUN_JOBS", "off")
    monkeypatch.setenv("JIEDAN_SERVER_JOB_INTERVAL_SECONDS", "2.5")
    settings = Settings.from_env(secrets=False)
    assert (settings.db_pool_size, settings.run_jobs, settings.job_interval_seconds) == (
        3,
        False,
        2.5,
    )
    assert Settings.from_env(secrets=False, db_pool_size=7).db_pool_size == 7
    round_trip = settings.environment()
    assert round_trip["JIEDAN_SERVER_RUN_JOBS"] == "0"
    monkeypatch.setenv("JIEDAN_SERVER_DB_POOL_SIZE", "many")
    with pytest.raises(
        InvalidInput, match="JIEDAN_SERVER_DB_POOL_SIZE: 'many' is not a whole number"
    ):
        Settings.from_env(secrets=False)


def test_a_taken_port_is_refused_before_anything_is_written_or_announced(tmp_path: Path) -> None:
    """Reproduced by hand: the URL was printed, the data dir written, then uvicorn failed."""
    import socket

    home = tmp_path / "home"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "JIEDAN_HOME": str(home)}
        done = _run_server_briefly(["run", "--demo", "--port", str(port)], env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: --port: cannot listen on 127.0.0.1:{port} (Address already in use);"
        " choose another --port"
    ]
    assert not home.exists()


def test_demo_says_where_it_writes_and_when_it_does_not_seed(tmp_path: Path) -> None:
    path = tmp_path / "used.db"
    seed = ["server", "seed", "--orders", "5", "--clients", "2", "--freelancers", "3"]
    url = f"sqlite:///{path}"
    subprocess.run([*JIEDAN, *seed, "--database-url", url], check=True, capture_output=True)
    process = subprocess.Popen(
        [*JIEDAN, "server", "run", "--demo", "--port", str(free_port()), "--database-url", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "JIEDAN_SERVER_LOG_FORMAT": "text"},
    )
    said: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            said.append(line)
            if "jiedan server on http://" in line:
                break
    finally:
        process.terminate()
        process.wait(timeout=30)
    text_said = "".join(said)
    assert f"database: {url}" in text_said
    assert "demo data NOT seeded: this database has accounts already" in text_said


@pytest.mark.parametrize("port", ["0", "99999", "-1"])
def test_a_port_out_of_range_is_one_usage_line(tmp_path: Path, port: str) -> None:
    # 99999 reached uvicorn: a traceback in the log, then "internal error … this is a bug"
    home = tmp_path / "home"
    env = {**os.environ, "JIEDAN_HOME": str(home)}
    done = _run_server_briefly(["run", "--port", port], env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"error: --port: {port} is not a port (1 to 65535)"]
    assert not home.exists()


def test_a_database_url_of_another_kind_is_named_as_such(tmp_path: Path) -> None:
    # mysql://… was told "JIEDAN_SERVER_SECRET_KEY … must be set on PostgreSQL"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEDAN_SERVER_")}
    done = _run_server_briefly(["run", "--database-url", "mysql://x@db/x"], env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: JIEDAN_SERVER_DATABASE_URL (--database-url): 'mysql://x@db/x' is neither"
        " sqlite:///PATH nor postgresql+psycopg://…"
    ]
