"""What an operator watches, in-process: /readyz, the request id and the access log, the
log formatters, /metrics and its counters, and the body's pace (408)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from jiedan_cli.server import metrics
from jiedan_cli.server.api.body_timeout import BodyTimeout
from jiedan_cli.server.app import create_app
from jiedan_cli.server.config import Settings
from jiedan_cli.server.logs import JsonFormatter, TextFormatter, current_request_id, log_config
from tests.server.conftest import CALM, Server, make_server
from tests.server.devices import Device, order_args

TOKEN = "scrape-me"
ACCESS = "jiedan.access"
MADE_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex


@pytest.fixture
def ops_server(sqlite_url: str) -> Iterator[Server]:
    srv = make_server(sqlite_url, metrics_token=TOKEN, **CALM)  # new accounts' large orders
    with srv.client:
        yield srv


def scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics as {(sample name, sorted labels): value}."""
    response = server.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_counted(server: Server, route: str, method: str, status: int) -> float:
    labels = (("method", method), ("route", route), ("status", str(status)))
    return scrape(server).get(("jiedan_http_requests_total", labels), 0.0)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# ---- readiness ------------------------------------------------------------------------------


def test_ready_when_the_database_answers_at_the_newest_schema(server: Server) -> None:
    response = server.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def unmigrated_app(path: Path) -> FastAPI:
    """The app on the SQLite file at `path`, as it is: not migrated."""
    settings = Settings(
        database_url=f"sqlite:///{path}", secret_key="k", sandbox_webhook_secret="w", run_jobs=False
    )
    return create_app(settings, migrate=False)


def test_not_ready_while_the_schema_is_behind_then_ready_once_migrated(tmp_path: Path) -> None:
    app = unmigrated_app(tmp_path / "empty.db")
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200  # alive, never asks the database
        behind = client.get("/readyz")
        assert behind.status_code == 503
        assert behind.headers["content-type"].startswith("application/problem+json")
        assert behind.json()["code"] == "not_ready"
        app.state.db.migrate()
        assert client.get("/readyz").status_code == 200


def test_not_ready_when_the_database_does_not_answer(tmp_path: Path) -> None:
    # The "database file" is not a database: every statement fails.
    (tmp_path / "server.db").write_bytes(b"not a database, " * 512)
    with TestClient(unmigrated_app(tmp_path / "server.db")) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["detail"] == "the database does not answer"


# ---- request id and access log ---------------------------------------------------------------


def test_a_sane_request_id_is_echoed_and_a_missing_or_odd_one_replaced(
    ops_server: Server,
) -> None:
    given = ops_server.client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2_x"})
    assert given.headers["x-request-id"] == "lb-7f3a.2_x"
    made = {ops_server.client.get("/healthz").headers["x-request-id"] for _ in range(2)}
    assert len(made) == 2 and all(MADE_ID.fullmatch(rid) for rid in made)
    for odd in (b"x" * 65, b"has space", b"semi;colon", "引号".encode()):
        answer = ops_server.client.get("/healthz", headers={"X-Request-ID": odd})
        assert MADE_ID.fullmatch(answer.headers["x-request-id"]), odd


def test_error_answers_carry_the_request_id_too(ops_server: Server) -> None:
    headers = {"X-Request-ID": "err-1"}
    assert ops_server.client.get("/v1/me", headers=headers).headers["x-request-id"] == "err-1"
    assert ops_server.client.get("/no/such/path", headers=headers).status_code == 404
    too_big = ops_server.client.post(
        "/v1/auth/login",
        content=b"x" * (ops_server.settings.max_body_bytes + 1),
        headers={**headers, "content-type": "application/json"},
    )
    assert too_big.status_code == 413 and too_big.headers["x-request-id"] == "err-1"


def test_an_unexpected_failure_is_a_500_problem_with_the_request_id(ops_server: Server) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    ops_server.app.add_api_route("/broken-for-test", broken)
    response = ops_server.client.get("/broken-for-test", headers={"X-Request-ID": "bug-42"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["x-request-id"] == "bug-42"
    assert "bug-42" in response.json()["detail"]


def test_one_access_line_per_request_with_its_fields(
    ops_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    user = ops_server.register()
    caplog.set_level(logging.INFO, logger=ACCESS)
    ops_server.request(
        "GET", "/v1/orders/no-such-order", user["token"], headers={"X-Request-ID": "r-1"}
    )
    (record,) = [r for r in caplog.records if r.name == ACCESS]
    fields = record.__dict__
    assert fields["method"] == "GET"
    assert fields["path"] == "/v1/orders/no-such-order"
    assert fields["route"] == "/v1/orders/{order_id}"
    assert fields["status"] == 404
    assert fields["duration_ms"] >= 0
    assert fields["client"] == "testclient"
    assert fields["request_id"] == "r-1"
    assert "token" not in record.getMessage() and user["token"] not in str(fields)


def test_records_logged_during_a_request_carry_its_id(
    ops_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str | None] = []

    def noting() -> dict[str, str]:  # a sync route: it runs in the threadpool
        seen.append(current_request_id.get())
        return {}

    ops_server.app.add_api_route("/noting-for-test", noting)
    ops_server.client.get("/noting-for-test", headers={"X-Request-ID": "ctx-9"})
    assert seen == ["ctx-9"]
    assert current_request_id.get() is None


def test_access_log_off_keeps_the_request_id(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    quiet = make_server(sqlite_url, access_log=False)
    caplog.set_level(logging.INFO, logger=ACCESS)
    with quiet.client:
        answer = quiet.client.get("/healthz", headers={"X-Request-ID": "quiet-1"})
    assert answer.headers["x-request-id"] == "quiet-1"
    assert [r for r in caplog.records if r.name == ACCESS] == []


# ---- log formats ----------------------------------------------------------------------------


def access_record() -> logging.LogRecord:
    return logging.LogRecord(ACCESS, logging.INFO, __file__, 1, "GET %s %d", ("/x", 200), None)


def test_json_lines_parse_with_the_extra_fields() -> None:
    record = access_record()
    record.__dict__.update(route="/x", status=200, duration_ms=1.25, request_id="abc")
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "info"
    assert parsed["logger"] == ACCESS
    assert parsed["message"] == "GET /x 200"
    assert parsed["ts"].endswith("+00:00")
    assert {k: parsed[k] for k in ("route", "status", "duration_ms", "request_id")} == {
        "route": "/x",
        "status": 200,
        "duration_ms": 1.25,
        "request_id": "abc",
    }


def test_a_json_line_keeps_an_exception_inside_its_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "jiedan", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    parsed = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in parsed["exception"]


def test_text_lines_show_the_extra_fields_as_pairs() -> None:
    record = access_record()
    record.__dict__.update(status=200, request_id="abc")
    line = TextFormatter().format(record)
    assert "INFO" in line and ACCESS in line and "GET /x 200" in line
    assert "status=200" in line and "request_id=abc" in line


def test_the_log_config_follows_the_settings() -> None:
    text = log_config(Settings(log_format="text", log_level="warning"))
    assert text["handlers"]["stderr"]["formatter"] == "text"
    assert text["loggers"]["jiedan"]["level"] == "WARNING"
    assert text["loggers"]["uvicorn.access"]["handlers"] == []  # our access log replaces it
    assert log_config(Settings())["handlers"]["stderr"]["formatter"] == "json"
    # dictConfig accepts it (in a child process: this one's logging stays as pytest set it)
    code = (
        "import logging.config, json, sys;"
        "from jiedan_cli.server.config import Settings;"
        "from jiedan_cli.server.logs import log_config;"
        "logging.config.dictConfig(log_config(Settings()));"
        "logging.getLogger('jiedan.access').info('hi', extra={'status': 200})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    line = json.loads(done.stderr.strip())
    assert line["message"] == "hi" and line["status"] == 200


# ---- metrics --------------------------------------------------------------------------------


def test_metrics_are_off_without_a_token_and_refused_with_a_wrong_one(
    sqlite_server: Server, ops_server: Server
) -> None:
    assert sqlite_server.client.get("/metrics").status_code == 404
    wrong = ops_server.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert ops_server.client.get("/metrics").status_code == 401


def test_requests_are_counted_by_route_template_method_and_status(ops_server: Server) -> None:
    route = "/v1/orders/{order_id}"
    before = requests_counted(ops_server, route, "GET", 404)
    latency_before = sample("jiedan_http_request_duration_seconds_count", route=route, method="GET")
    for n in range(3):
        assert ops_server.client.get(f"/v1/orders/missing-{n}").status_code == 404
    assert requests_counted(ops_server, route, "GET", 404) == before + 3
    latency = sample("jiedan_http_request_duration_seconds_count", route=route, method="GET")
    assert latency == latency_before + 3


def test_requests_answered_before_routing_count_under_their_route(ops_server: Server) -> None:
    """A body refused by size, and a gzip body (its middleware routes a copy of the scope)."""
    refused = requests_counted(ops_server, "/v1/auth/login", "POST", 413)
    ops_server.client.post(
        "/v1/auth/login",
        content=b"x" * (ops_server.settings.max_body_bytes + 1),
        headers={"content-type": "application/json"},
    )
    assert requests_counted(ops_server, "/v1/auth/login", "POST", 413) == refused + 1
    device = Device(ops_server, ops_server.register())
    pushed = requests_counted(ops_server, "/v1/sync/push", "POST", 200)
    assert device.push(gzipped=True).status_code == 200
    assert requests_counted(ops_server, "/v1/sync/push", "POST", 200) == pushed + 1


def test_paths_and_methods_outside_the_api_stay_one_label_each(ops_server: Server) -> None:
    before = requests_counted(ops_server, metrics.UNMATCHED, "GET", 404)
    for n in range(3):
        ops_server.client.get(f"/random/{n}")
    assert requests_counted(ops_server, metrics.UNMATCHED, "GET", 404) == before + 3
    odd = sample("jiedan_http_requests_total", route="/healthz", method="other", status="405")
    ops_server.client.request("BREW", "/healthz")
    assert (
        sample("jiedan_http_requests_total", route="/healthz", method="other", status="405")
        == odd + 1
    )


def test_sync_pushes_and_pulls_are_counted(ops_server: Server) -> None:
    applied = sample("jiedan_sync_ops_pushed_total", outcome="applied")
    rejected = sample("jiedan_sync_ops_pushed_total", outcome="rejected")
    pulled = sample("jiedan_sync_changes_pulled_total")
    pulls = sample("jiedan_sync_pulls_total")
    client = Device(ops_server, ops_server.register("client"))
    client.apply("post_order", **order_args())
    (result,) = client.push_ok(client.op("award_bid", order_id="nope", bid_id="nope"))
    assert result["status"] == "rejected"
    page = client.pull()
    assert sample("jiedan_sync_ops_pushed_total", outcome="applied") == applied + 1
    assert sample("jiedan_sync_ops_pushed_total", outcome="rejected") == rejected + 1
    assert sample("jiedan_sync_pulls_total") == pulls + 1
    assert page["changes"] and sample("jiedan_sync_changes_pulled_total") == pulled + len(
        page["changes"]
    )


def test_job_runs_are_counted_by_job_and_outcome(ops_server: Server) -> None:
    key = ("jiedan_job_runs_total", (("job", "purge"), ("outcome", "failed")))
    before = scrape(ops_server).get(key, 0.0)
    metrics.count_job_run("purge", "failed")
    assert scrape(ops_server)[key] == before + 1


def test_a_dead_workers_in_progress_count_is_dropped(tmp_path: Path) -> None:
    """A worker killed mid-request (no exit handler ran) leaves its live gauge file; the
    next scrape drops the files of processes that are gone."""
    code = "import os; from jiedan_cli.server import metrics;metrics.IN_PROGRESS.inc(); os._exit(0)"
    env = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert list(tmp_path.glob("gauge_livesum_*.db"))
    metrics.forget_dead_processes(str(tmp_path))
    assert list(tmp_path.glob("gauge_livesum_*.db")) == []


# ---- the body's pace ------------------------------------------------------------------------


async def call_asgi(app: Any, scope: dict[str, Any], chunks: list[bytes | None]) -> list[Any]:
    """Send `chunks` as the request body (None: the client stops sending), collect the
    answer's messages."""
    sent: list[Any] = []
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        if not pending:
            await anyio.sleep_forever()
        chunk = pending.pop(0)
        if chunk is None:
            await anyio.sleep_forever()
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def login_scope(length: int) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/auth/login",
        "raw_path": b"/v1/auth/login",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"content-length", str(length).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8700),
        "state": {},
    }


def test_a_body_that_stops_arriving_is_answered_408(sqlite_url: str) -> None:
    slow = make_server(sqlite_url, body_timeout_seconds=0.2)
    body = json.dumps({"email": "a@example.com", "password": "x" * 20}).encode()
    with slow.client:
        sent = anyio.run(call_asgi, slow.app, login_scope(len(body)), [body[:10], None])
        start, content = sent[0], sent[1]
        assert start["status"] == 408
        headers = dict(start["headers"])
        assert headers[b"content-type"] == b"application/problem+json"
        assert headers[b"connection"] == b"close"
        assert b"x-request-id" in headers
        assert json.loads(content["body"])["code"] == "request_timeout"
        # the same body sent at once is read and answered (a 401: no such account)
        whole = anyio.run(call_asgi, slow.app, login_scope(len(body)), [body])
        assert whole[0]["status"] == 401


@pytest.mark.parametrize(
    ("headers", "paced"),
    [
        ([], False),  # a GET (P5): nothing to pace, nothing paid
        ([(b"content-length", b"0")], False),
        ([(b"content-length", b"12")], True),
        ([(b"transfer-encoding", b"chunked")], True),
    ],
)
def test_only_a_declared_body_is_paced(headers: list[tuple[bytes, bytes]], paced: bool) -> None:
    """BodyTimeout wraps the channels of a request that declares a body; one that declares
    none reaches the app with the server's own `receive` and `send`, untouched (a cancel
    scope and two wrappers a request, ≈ 12 µs, no longer paid by every GET)."""
    given: list[tuple[Any, Any]] = []

    async def app(_scope: Any, receive: Any, send: Any) -> None:
        given.append((receive, send))

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Any) -> None:
        return None

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"host", b"t"), *headers]}
    anyio.run(BodyTimeout(app, seconds=5), scope, receive, send)
    assert (given[0] != (receive, send)) is paced


def test_the_log_format_follows_the_terminal_unless_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jiedan_cli.server.logs import log_format

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert log_format(Settings(log_format="auto")) == "text"
    assert log_format(Settings(log_format="json")) == "json"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert log_format(Settings(log_format="auto")) == "json"
    assert log_format(Settings(log_format="text")) == "text"
