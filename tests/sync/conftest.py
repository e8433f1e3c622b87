"""Sync fixtures: the REAL server (uvicorn, on a free loopback port, in a thread) on a SQLite
file, real replicas (SQLite files) and the real HTTP client — nothing of ours is mocked. A
fault proxy (faultproxy.py) can stand between the two."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from jiedan_cli.domain.ids import new_id
from jiedan_cli.server.app import create_app
from jiedan_cli.server.config import Settings
from jiedan_cli.store import outbox
from jiedan_cli.store.db import open_db
from jiedan_cli.store.state import set_user
from jiedan_cli.store.transaction import transaction
from jiedan_cli.sync.engine import SyncReport, sync
from jiedan_cli.sync.http import connect
from jiedan_cli.sync.retry import RetryPolicy
from tests.server.conftest import CALM
from tests.sync.faultproxy import FaultProxy

_numbers = count(1)
PASSWORD = "correct horse 42"
# Tests wait less between retries than users do; the shape of the backoff is the same.
FAST_RETRIES = RetryPolicy(first=0.02, cap=0.2)


class LiveServer:
    """create_app(...) served by uvicorn in a thread, on `port` (0: a free one).

    Every account here is minutes old and on 127.0.0.1, which the risk engine would rightly
    hold as soon as an amount is large: unless a test asks for the engine (`risk_record=…`),
    it assesses and records every action but holds none (tests/server/conftest.CALM). What it
    holds is tested where a test asks for it (test_admin_holds, test_online_holds, …)."""

    def __init__(self, database_url: str, port: int = 0, **settings: Any) -> None:
        self.database_url = database_url
        calm = {} if "risk_record" in settings else CALM
        self.settings = Settings(
            database_url=database_url,
            secret_key="test-secret-key",
            sandbox_webhook_secret="test-webhook-secret",
            run_jobs=False,
            **{"registrations_per_address_hour": 0, **calm, **settings},  # all from 127.0.0.1
        )
        self.app = create_app(self.settings)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on", timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True, name="live-server"
        )
        self.thread.start()
        give_up = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < give_up, "server did not start"
            time.sleep(0.01)
        self._sock = sock

    @property
    def db(self) -> Any:
        return self.app.state.db

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self._sock.close()

    def register(self, role: str = "both") -> dict[str, Any]:
        """A new account, signed in: {'id', 'email', 'token', …}."""
        n = next(_numbers)
        email = f"sync{n}-{uuid.uuid4().hex[:6]}@example.com"
        body = {"email": email, "name": f"同步{n}", "password": PASSWORD, "role": role}
        response = httpx.post(f"{self.url}/v1/auth/register", json=body, timeout=30)
        assert response.status_code == 201, response.text
        answer = response.json()
        return {**answer["user"], "token": answer["token"], "email": email}

    def count(self, table: Any, *where: Any) -> int:
        with self.db.read() as conn:
            return int(conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)

    def rows(self, query: Any) -> list[Any]:
        with self.db.read() as conn:
            return list(conn.execute(query).all())


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(f"sqlite:///{tmp_path / 'server.db'}")
    yield server
    server.stop()


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(live_server.port).start()
    yield fault_proxy
    fault_proxy.stop()


def order_args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "id": new_id(),
        "title": "做一个小程序商城",
        "description": "微信小程序，含支付和后台。",
        "category": "development",
        "tags": ["小程序"],
        "budget_min_fen": 300_000,
        "budget_max_fen": 800_000,
    }
    args.update(overrides)
    return args


@dataclass
class Replica:
    """One installed client: a replica file, a signed-in user and an HTTP client."""

    path: Path
    user: dict[str, Any]
    url: str
    conn: sqlite3.Connection = field(init=False)
    requests: list[str] = field(default_factory=list)  # "METHOD path" of every request sent
    read_timeout: float = 5.0

    def __post_init__(self) -> None:
        self.conn = open_db(self.path)
        set_user(self.conn, self.user["id"])
        self.client = self.new_client()

    def new_client(self, url: str | None = None) -> httpx.Client:
        def record(request: httpx.Request) -> None:
            self.requests.append(f"{request.method} {request.url.path}")

        return connect(
            url or self.url,
            self.user["token"],
            read_timeout=self.read_timeout,
            event_hooks={"request": [record]},
        )

    def use(self, url: str) -> None:
        """Talk to the server through `url` from now on (a proxy, or a restarted server)."""
        self.client.close()
        self.url = url
        self.client = self.new_client()

    def close(self) -> None:
        self.client.close()
        self.conn.close()

    # ---- queueing operations, as the commands will -----------------------------------------

    def queue(self, intent: str, kind: str | None, object_id: str | None, **args: Any) -> str:
        with transaction(self.conn):
            op = outbox.enqueue(self.conn, intent, args, kind, object_id)
        return op.op_id

    def post_order(self, **overrides: Any) -> str:
        args = order_args(**overrides)
        self.queue("post_order", "order", args["id"], **args)
        return str(args["id"])

    def bid(self, order_id: str, amount_fen: int = 450_000, days: int = 7, **more: Any) -> str:
        bid_id = new_id()
        self.queue(
            "place_bid",
            "bid",
            bid_id,
            id=bid_id,
            order_id=order_id,
            amount_fen=amount_fen,
            days=days,
            **more,
        )
        return bid_id

    def message(self, order_id: str, text: str, to: str | None = None) -> str:
        message_id = new_id()
        extra = {"to": to} if to else {}
        self.queue(
            "send_message",
            "message",
            message_id,
            id=message_id,
            order_id=order_id,
            text=text,
            **extra,
        )
        return message_id

    def sync(self, **options: Any) -> SyncReport:
        options.setdefault("deadline", 30.0)
        options.setdefault("policy", FAST_RETRIES)
        return sync(self.conn, self.client, **options)

    def states(self) -> dict[str, int]:
        return outbox.counts(self.conn)

    def table_ids(self, table: str) -> set[str]:
        return {row[0] for row in self.conn.execute(f"SELECT id FROM {table}")}


@pytest.fixture
def make_replica(live_server: LiveServer, tmp_path: Path) -> Iterator[Callable[..., Replica]]:
    made: list[Replica] = []

    def make(user: dict[str, Any] | None = None, url: str | None = None, **options: Any) -> Replica:
        replica = Replica(
            tmp_path / f"replica-{len(made)}.db",
            user or live_server.register(),
            url or live_server.url,
            **options,
        )
        made.append(replica)
        return replica

    yield make
    for replica in made:
        replica.close()
