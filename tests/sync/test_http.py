"""The HTTP client against the real server: problem+json answers become our error types (so
commands exit with the contract's codes), transport failures become Offline, and bodies go
gzipped with the token as a bearer."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from jiedan_cli.commands.exit_codes import ExitCode, exit_code_for
from jiedan_cli.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    Offline,
    TemporaryFailure,
    TooManyAttempts,
    Unauthenticated,
)
from jiedan_cli.sync import credentials
from jiedan_cli.sync.http import (
    ServerBusy,
    ServerError,
    api_call,
    api_list,
    connect,
    error_for,
    request,
)
from tests.sync.conftest import PASSWORD, LiveServer


def test_api_call_signs_in_and_uses_the_stored_token(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIEDAN_SERVER", live_server.url)
    user = live_server.register()
    answer = api_call(
        "POST",
        "/v1/auth/login",
        json={"email": user["email"], "password": PASSWORD},
        authenticated=False,
    )
    credentials.store_token(live_server.url, user["email"], answer["token"])

    assert api_call("GET", "/v1/me")["id"] == user["id"]


def test_api_list_follows_the_pages_to_the_end(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list route answers a page at a time; a caller that needs every item (`jiedan auth
    sessions`, `jiedan admin queue`) follows X-Next-Cursor."""
    monkeypatch.setenv("JIEDAN_SERVER", live_server.url)
    user = live_server.register()
    login = {"email": user["email"], "password": PASSWORD}
    for _ in range(4):
        api_call("POST", "/v1/auth/login", json=login, authenticated=False)
    credentials.store_token(live_server.url, user["email"], user["token"])
    listed = api_list("/v1/auth/sessions", page_size=2)
    assert len({s["id"] for s in listed}) == len(listed) == 5
    assert [s["current"] for s in listed].count(True) == 1
    assert api_list("/v1/auth/sessions") == listed


def test_error_answers_map_to_our_errors_and_exit_codes(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIEDAN_SERVER", live_server.url)
    user = live_server.register()
    with pytest.raises(Unauthenticated) as bad_token:
        api_call("GET", "/v1/me", token="not-a-token")
    with pytest.raises(Unauthenticated, match="auth login"):
        api_call("GET", "/v1/me")  # nothing stored
    with pytest.raises(NotFound) as missing:
        api_call("GET", "/v1/orders/0190f0f0-0000-7000-8000-000000000000", token=user["token"])
    with pytest.raises(InvalidInput) as invalid:
        api_call("POST", "/v1/orders", json={"title": ""}, token=user["token"])
    with pytest.raises(Unauthenticated):
        api_call(
            "POST",
            "/v1/auth/login",
            json={"email": user["email"], "password": "wrong password"},
            authenticated=False,
        )

    assert exit_code_for(bad_token.value) == ExitCode.UNAUTHENTICATED
    assert exit_code_for(missing.value) == ExitCode.NOT_FOUND
    assert exit_code_for(invalid.value) == ExitCode.USAGE
    assert invalid.value.message  # the server's `detail`, not a status line


def test_statuses_without_a_route_here_map_by_the_one_table() -> None:
    def answer(status: int, **headers: str) -> httpx.Response:
        body = {"detail": f"said {status}", "code": "x"}
        return httpx.Response(status, json=body, headers=headers)

    assert isinstance(error_for(answer(403)), Forbidden)
    assert exit_code_for(error_for(answer(409))) == ExitCode.REFUSED
    busy = error_for(answer(503, **{"Retry-After": "3"}))
    assert isinstance(busy, ServerBusy) and isinstance(busy, TemporaryFailure)
    assert busy.retry_after == 3.0 and busy.message == "said 503"
    throttled = error_for(answer(429, **{"Retry-After": "7"}))
    assert isinstance(throttled, TooManyAttempts) and throttled.retry_after == 7
    assert isinstance(error_for(answer(500)), ServerError)
    assert exit_code_for(error_for(answer(502))) == ExitCode.OFFLINE


def test_nothing_listening_is_offline_within_the_connect_timeout() -> None:
    with connect("http://127.0.0.1:9") as client, pytest.raises(Offline) as offline:
        request(client, "GET", "/healthz")
    assert exit_code_for(offline.value) == ExitCode.OFFLINE


def test_a_bad_server_url_is_a_usage_error() -> None:
    with connect("localhost:8700") as client, pytest.raises(InvalidInput):
        request(client, "GET", "/healthz")


def test_request_bodies_can_go_gzipped_with_the_bearer_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    client = connect("http://server.test", "tok")
    client._transport = httpx.MockTransport(handler)  # the wire format only, not our code
    assert request(client, "POST", "/x", json_body={"文字": "好"}, gzip_body=True) == {"ok": True}
    (sent,) = seen
    assert sent.headers["authorization"] == "Bearer tok"
    assert sent.headers["content-encoding"] == "gzip"
    assert "gzip" in sent.headers["accept-encoding"]
    assert json.loads(gzip.decompress(sent.content)) == {"文字": "好"}
