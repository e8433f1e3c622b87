"""Every request gets an id (the caller's X-Request-ID when it is sane, else a new one), sent
back on its answer — errors too — and stamped on what is logged while it runs; when it ends,
one line on logger "jiedan.access" and its count and latency in the metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiedan_cli.server import metrics
from jiedan_cli.server.api.problems import problem
from jiedan_cli.server.logs import current_request_id

HEADER = b"x-request-id"
SANE_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")

log = logging.getLogger("jiedan.access")


def request_id(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == HEADER and SANE_ID.fullmatch(value):
            return bytes(value).decode("ascii")
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The path pattern the request was routed to ("/v1/orders/{order_id}"). The router
    leaves it in the scope; a request that never reached the router (an answer replayed
    for an Idempotency-Key, a body refused early, a copied scope) is matched here."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    app = scope.get("app")
    partial = None
    for candidate in _leaf_routes(getattr(getattr(app, "router", None), "routes", ())):
        match, _child = candidate.matches(scope)
        if match is Match.FULL:
            return str(candidate.path)
        if match is Match.PARTIAL and partial is None:
            partial = str(candidate.path)
    return partial or metrics.UNMATCHED


def _leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes themselves: newer FastAPI keeps each included router whole (its routes
    under `original_router`; ours are included without a prefix of their own)."""
    for route in routes:
        included = getattr(getattr(route, "original_router", None), "routes", None)
        if included is not None:
            yield from _leaf_routes(included)
        elif isinstance(getattr(route, "path", None), str):
            yield route


class AccessLog:
    def __init__(self, app: ASGIApp, *, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        echoed = (HEADER, rid.encode("ascii"))
        status = 500
        started = finished = False
        begun = time.perf_counter()

        def finish() -> None:
            # Counted and logged before the last byte leaves: whoever has the answer finds
            # the request in /metrics and in the log.
            nonlocal finished
            if finished:
                return
            finished = True
            seconds = time.perf_counter() - begun
            metrics.IN_PROGRESS.dec()
            route = route_template(scope)
            metrics.observe_request(route, scope["method"], status, seconds)
            if self.log_requests:
                self._log(scope, route, status, seconds, rid)

        async def stamped_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finish()
            await send(message)

        token = current_request_id.set(rid)
        metrics.IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, stamped_send)
        except Exception:
            if not started:  # our own 500, so that it too carries the id
                detail = f"the server failed; quote request id {rid} when reporting it"
                failed = problem(500, "Internal error", detail, "internal_error")
                await failed(scope, receive, stamped_send)
            raise  # uvicorn logs the traceback
        finally:
            finish()  # an answer cut short, or none
            current_request_id.reset(token)

    def _log(self, scope: Scope, route: str, status: int, seconds: float, rid: str) -> None:
        client = scope.get("client")
        method, path = scope["method"], scope["path"]
        duration_ms = round(seconds * 1000, 2)
        log.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %d %.1fms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "client": client[0] if client else None,
                "request_id": rid,
            },
        )
