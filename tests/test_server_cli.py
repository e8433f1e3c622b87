"""`jiedan server seed` and `jiedan server run --demo` as a user runs them: real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

JIEDAN = [sys.executable, "-m", "jiedan_cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    port = _free_port()
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
