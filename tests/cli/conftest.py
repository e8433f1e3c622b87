"""Command-line fixtures: the REAL server on a loopback port (tests/sync/conftest.py's
LiveServer) and `jiedan …` with its own JIEDAN_HOME and JIEDAN_SERVER, capturing stdout,
stderr and the exit code. Nothing mocked.

`jiedan …` runs in this process (tests/cli/inprocess.py: the same entry point, isolated as a
process would be, leaks fail the test); a test marked `@pytest.mark.subprocess` runs it as
`python -m jiedan_cli` — the smoke set that keeps the real process tested, and what only a
process can show (interpreter flags, signals, a terminal). JIEDAN_TEST_SUBPROCESS=1 runs
every call as a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli import inprocess
from tests.sync.conftest import PASSWORD, LiveServer

ROOT = Path(__file__).resolve().parents[2]
_numbers = count(1)
_EVERY_CALL_A_PROCESS = os.environ.get("JIEDAN_TEST_SUBPROCESS") == "1"
_mode = {"subprocess": _EVERY_CALL_A_PROCESS}  # this test's: see `_process_per_call`


@pytest.fixture(autouse=True)
def _process_per_call(request: pytest.FixtureRequest) -> Iterator[None]:
    """`jiedan …` as a subprocess in the tests marked so (module-scoped fixtures, set up
    before this, run in-process)."""
    _mode["subprocess"] = _EVERY_CALL_A_PROCESS or bool(
        request.node.get_closest_marker("subprocess")
    )
    yield
    _mode["subprocess"] = _EVERY_CALL_A_PROCESS


@dataclass
class Run:
    """One finished `jiedan …`."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout as exactly one JSON document (json.loads refuses anything more)."""
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return f"jiedan {' '.join(self.args)} → {self.code}\n{self.stdout}\n{self.stderr}"


def jiedan(
    *args: str,
    home: Path,
    server: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    python_flags: tuple[str, ...] = (),
) -> Run:
    """Run `jiedan ARGS` as a user would (stdout is a pipe: not a terminal): in this process
    unless the test is marked `subprocess` or `python_flags` are given."""
    if python_flags or _mode["subprocess"]:
        return jiedan_process(
            *args,
            home=home,
            server=server,
            input=input,
            env=env,
            timeout=timeout,
            python_flags=python_flags,
        )
    outcome = inprocess.run(
        args, env=environment(home, server, env), cwd=ROOT, input=input, timeout=timeout
    )
    return Run(tuple(args), outcome.code, outcome.stdout, outcome.stderr)


def jiedan_process(
    *args: str,
    home: Path,
    server: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    python_flags: tuple[str, ...] = (),
) -> Run:
    """`python -m jiedan_cli ARGS` in a subprocess."""
    done = subprocess.run(
        [sys.executable, *python_flags, "-m", "jiedan_cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=environment(home, server, env),
        cwd=ROOT,
        timeout=timeout,
    )
    return Run(tuple(args), done.returncode, done.stdout, done.stderr)


def environment(home: Path, server: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the user's own JIEDAN_* settings, for one home."""
    found = {k: v for k, v in os.environ.items() if not k.startswith("JIEDAN_") and k != "NO_COLOR"}
    found.update(
        JIEDAN_HOME=str(home),
        JIEDAN_SERVER=server,
        # headless, as CI: the token goes to the 0600 file under JIEDAN_HOME
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    found.update(env or {})  # may replace the above (JIEDAN_SERVER="": as if unset)
    return found


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class User:
    """A person with their own JIEDAN_HOME (an installed client) and an API token."""

    server: LiveServer
    home: Path
    email: str
    id: str = ""
    token: str = ""

    def run(self, *args: str, **options: Any) -> Run:
        return jiedan(*args, home=self.home, server=self.server.url, **options)

    def unreachable(self, *args: str, **options: Any) -> Run:
        """Run as this user while the server cannot be reached (its token given through
        JIEDAN_TOKEN: stored tokens are kept per server URL)."""
        return jiedan(
            *args,
            home=self.home,
            server=closed_port_url(),
            env={"JIEDAN_TOKEN": self.token},
            **options,
        )

    def ok(self, *args: str, **options: Any) -> Run:
        done = self.run(*args, **options)
        assert done.code == 0, str(done)
        return done

    def api(self, method: str, path: str, **body: Any) -> Any:
        """A direct API call as this user (for the other side of a scenario)."""
        response = httpx.request(
            method,
            f"{self.server.url}{path}",
            json=body or None,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def post_order(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "title": "企业网站改版",
            "description": "响应式官网，含设计与前端。",
            "category": "development",
            "tags": ["网站", "web"],
            "budget_min_fen": 200_000,
            "budget_max_fen": 400_000,
        }
        body.update(overrides)
        order: dict[str, Any] = self.api("POST", "/v1/orders", **body)
        return order


def funded_order(client: User, freelancer: User, *, synced: bool = True) -> dict[str, Any]:
    """An order of `client` awarded to `freelancer` (their ¥3,000 bid, placed from their
    replica) and funded; pulled into the freelancer's replica unless `synced` is False."""
    order = client.post_order()
    freelancer.ok("sync")
    bid = freelancer.ok(
        "bid", "create", order["id"], "--amount", "3000", "--days", "7", "--json"
    ).json()
    client.api("POST", f"/v1/orders/{order['id']}/award", bid_id=bid["id"])
    client.api("POST", f"/v1/orders/{order['id']}/fund")
    if synced:
        freelancer.ok("sync")
    return order


def new_user(server: LiveServer, base: Path, role: str = "both") -> User:
    """A new account registered with `jiedan auth register` in its own JIEDAN_HOME under
    `base` (so signed in, with a first sync done)."""
    n = next(_numbers)
    email = f"cli{n}-{uuid.uuid4().hex[:6]}@example.com"
    user = User(server, base / f"home-{n}", email)
    user.ok(
        *("auth", "register", "--email", email, "--name", f"用户{n}", "--role", role),
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    # what `auth token` / `auth status` would say, read without two more processes
    stored = json.loads((user.home / "config" / "credentials.json").read_text())
    user.token = stored[server.url]["token"]
    user.id = user.api("GET", "/v1/me")["id"]
    return user


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server per test module; every test makes its own users, homes and orders,
    so tests stay independent (and skip ≈2 s of server start-up each)."""
    server = LiveServer(f"sqlite:///{tmp_path_factory.mktemp('server') / 'server.db'}")
    yield server
    server.stop()


@pytest.fixture
def make_user(live_server: LiveServer, tmp_path: Path) -> Callable[..., User]:
    """`make_user(role)`: see `new_user`."""

    def make(role: str = "both") -> User:
        return new_user(live_server, tmp_path, role)

    return make


@pytest.fixture
def freelancer(make_user: Callable[..., User]) -> User:
    return make_user("freelancer")


@pytest.fixture
def client(make_user: Callable[..., User]) -> User:
    return make_user("client")


@pytest.fixture
def order(client: User, freelancer: User) -> dict[str, Any]:
    """An order the client posted, in the freelancer's replica."""
    posted = client.post_order()
    freelancer.ok("sync")
    return posted
