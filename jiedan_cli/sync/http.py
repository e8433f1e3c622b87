"""The HTTP client of the server API, and the one mapping from HTTP answers to our errors.

Weak networks (sync.md): a short connect timeout, keep-alive, gzip both ways. Every transport
failure becomes `Offline`; a problem+json answer becomes the domain error of its status, with
the server's `detail` as the message. Nothing here retries: the sync engine decides that."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from jiedan_cli import __version__
from jiedan_cli.domain.errors import (
    Conflict,
    Forbidden,
    HeldForReview,
    InvalidInput,
    JiedanError,
    NotFound,
    Offline,
    TemporaryFailure,
    TooManyAttempts,
    Unauthenticated,
)
from jiedan_cli.sync import config
from jiedan_cli.sync.install import HEADER as INSTALL_HEADER
from jiedan_cli.sync.install import install_id

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 30.0
GZIP_LEVEL = 6  # level 9 costs several times the CPU for a few per cent on JSON
LIST_PAGE = 500  # items asked for per page of a list route (the server's largest page)

EventHooks = Mapping[str, list[Callable[..., Any]]]


class ServerBusy(TemporaryFailure):
    """503 (or 502/504 from a proxy in front): retry after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(JiedanError):
    """The server failed on a request (a 500): a bug there, not something to retry."""

    code = "server_error"


class BodyTooLarge(InvalidInput):
    """413: the request was larger than the server accepts."""

    code = "too_large"


def connect(
    base_url: str | None = None,
    token: str | None = None,
    *,
    read_timeout: float = READ_TIMEOUT,
    connect_timeout: float = CONNECT_TIMEOUT,
    event_hooks: EventHooks | None = None,
) -> httpx.Client:
    """A keep-alive client for the server at `base_url` (default: `config.server_url()`),
    sending `token` as a bearer token when given, and this install's id (sync/install.py) with
    every request. Close it (or use it as a context manager)."""
    base = config.normalise_server(base_url or config.server_url())
    headers = {
        "Accept": "application/json",
        "Accept-Encoding": "gzip",
        "User-Agent": f"jiedan/{__version__}",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    install = install_id()
    if install:
        headers[INSTALL_HEADER] = install
    try:
        return httpx.Client(
            base_url=base,
            headers=headers,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
            event_hooks={k: list(v) for k, v in (event_hooks or {}).items()},
        )
    except (httpx.InvalidURL, ValueError) as exc:
        raise InvalidInput(f"server: {base!r} is not a valid URL", field="server") from exc


def request(
    client: httpx.Client,
    method: str,
    path: str,
    *,
    json_body: Any = None,
    params: Mapping[str, Any] | None = None,
    gzip_body: bool = False,
    timeout: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """Send one request; the decoded JSON answer (None for 204), or a domain error —
    HeldForReview for a 202 hold (a gated action the risk engine holds for a reviewer)."""
    response = _send(
        client,
        method,
        path,
        json_body=json_body,
        params=params,
        gzip_body=gzip_body,
        timeout=timeout,
        headers=headers,
    )
    if response.status_code == 204 or not response.content:
        return None
    try:
        answer = response.json()
    except ValueError as exc:  # a 2xx body cut short by the network
        raise Offline(f"the answer from {client.base_url} was cut short") from exc
    if response.status_code == 202 and isinstance(answer, dict) and answer.get("status") == "held":
        raise HeldForReview(answer)  # the risk engine holds it for a reviewer: nothing done
    return answer


def _send(
    client: httpx.Client,
    method: str,
    path: str,
    *,
    json_body: Any = None,
    params: Mapping[str, Any] | None = None,
    gzip_body: bool = False,
    timeout: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """The answer to one request, or the domain error an error answer stands for."""
    extra = dict(headers or {})
    content: bytes | None = None
    if json_body is not None:
        content = encode_json(json_body)
        extra["Content-Type"] = "application/json"
        if gzip_body:
            content = gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)
            extra["Content-Encoding"] = "gzip"
    try:
        response = client.request(
            method,
            path,
            content=content,
            params=dict(params) if params else None,
            headers=extra,
            timeout=_timeout(client, timeout),
        )
    except httpx.UnsupportedProtocol as exc:
        raise InvalidInput(f"server: {client.base_url} is not an http(s) URL") from exc
    except (httpx.TransportError, httpx.DecodingError) as exc:
        refused = isinstance(exc, httpx.ConnectError)
        raise Offline(
            f"cannot reach the server at {client.base_url} ({_why(exc)})", refused=refused
        ) from exc
    if response.status_code >= 400:
        raise error_for(response)
    return response


def replica_owner(user_id: str | None) -> dict[str, str]:
    """The query that names whose replica pushes or pulls (`user_id`): the server refuses a
    token of another account (409 replica_of_another_account) before anything moves."""
    return {"user_id": user_id} if user_id else {}


def encode_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def error_for(response: httpx.Response) -> JiedanError:
    """The domain error an HTTP error answer stands for (problem+json `detail` as message)."""
    status = response.status_code
    problem = _problem(response)
    detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
    code = problem.get("code") if isinstance(problem.get("code"), str) else None
    field = problem.get("field") if isinstance(problem.get("field"), str) else None
    retry_after = _retry_after(response)
    if status == 401:
        return Unauthenticated(detail, code=code)
    if status == 403:
        return Forbidden(detail, code=code)
    if status == 404:
        return NotFound(detail, code=code)
    if status == 409:  # a refusal may name its field too (an unknown referral code)
        return Conflict(detail, code=code, field=field)
    if status == 413:
        return BodyTooLarge(detail)
    if status == 429:
        return TooManyAttempts(detail, retry_after=int(retry_after or 1))
    if status in (502, 503, 504):
        return ServerBusy(detail, retry_after=retry_after)
    if status >= 500:
        return ServerError(f"the server failed: {detail}", code=code)
    return InvalidInput(detail, code=code, field=field)


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:200].strip() or None}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP-date: treated as "no hint"


def _timeout(client: httpx.Client, seconds: float | None) -> httpx.Timeout:
    """The client's timeouts, each no longer than `seconds` (what is left of a deadline)."""
    base = client.timeout
    if seconds is None:
        return base
    seconds = max(0.05, seconds)

    def cap(value: float | None) -> float:
        return seconds if value is None else min(value, seconds)

    return httpx.Timeout(
        connect=cap(base.connect), read=cap(base.read), write=cap(base.write), pool=cap(base.pool)
    )


def _why(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "no answer to connect"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or no route"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.DecodingError):
        return "the connection broke"
    return type(exc).__name__


# ---- one-shot calls for the online-only commands (login, register, withdraw…) -----------------


def api_call(
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    authenticated: bool = True,
    token: str | None = None,
    server: str | None = None,
    idempotency_key: str | None = None,
    timeout: float | None = None,
) -> Any:
    """One request to the configured server with the stored token (JIEDAN_TOKEN first).

    `authenticated=False` sends no token (register, login). Raises Unauthenticated when a
    token is needed and none is stored; Offline when the server cannot be reached."""
    from jiedan_cli.sync import credentials

    base = config.normalise_server(server or config.server_url())
    if authenticated and token is None:
        token = credentials.require_token(base)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    with connect(base, token if authenticated else None) as client:
        return request(
            client, method, path, json_body=json, params=params, headers=headers, timeout=timeout
        )


def connect_signed_in(server: str | None = None, **options: Any) -> httpx.Client:
    """A client for `server` (default: the configured one) with the stored token;
    Unauthenticated when there is none. For the sync engine and `jiedan sync`."""
    from jiedan_cli.sync import credentials

    base = config.normalise_server(server or config.server_url())
    return connect(base, credentials.require_token(base), **options)


def api_list(
    path: str, *, params: Mapping[str, Any] | None = None, page_size: int = LIST_PAGE
) -> list[Any]:
    """Every item of a paged list route (`limit`, `after`: docs/sync-protocol.md), with the
    stored token: its pages fetched in turn, each `after` the `X-Next-Cursor` of the one
    before."""
    from jiedan_cli.sync import credentials

    base = config.normalise_server(config.server_url())
    query = {**(params or {}), "limit": page_size}
    items: list[Any] = []
    with connect(base, credentials.require_token(base)) as client:
        while True:
            response = _send(client, "GET", path, params=query)
            try:
                page = response.json()
            except ValueError as exc:
                raise Offline(f"the answer from {client.base_url} was cut short") from exc
            if not isinstance(page, list):
                raise ServerError(f"{path}: the server answered something other than a list")
            items.extend(page)
            cursor = response.headers.get("X-Next-Cursor")
            if not cursor or cursor == query.get("after"):
                return items
            query["after"] = cursor
