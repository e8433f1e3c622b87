"""Request bodies are capped: a larger one is refused with 413 before it is read whole."""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from jiedan_cli.server.api.problems import problem
from jiedan_cli.server.api.request_bodies import header, replaying


class BodyLimit:
    """A declared Content-Length over the cap is refused at once. A body of no declared
    length (chunked) is read here, up to the cap, before the app sees it: refused inside
    the app's own read, it would surface as FastAPI's "error parsing the body" (a 422)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, routes: Sequence[tuple[str, str, int]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # (method, path pattern, cap): routes whose bodies have a cap of their own (an
        # upload's chunks), each at least the general one.
        self.routes = [(m, re.compile(p), max(cap, max_bytes)) for m, p, cap in routes]

    def cap_for(self, scope: Scope) -> int:
        for method, pattern, cap in self.routes:
            if scope["method"] == method and pattern.match(scope["path"]):
                return cap
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope)
        declared = header(scope, b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > cap:
                await self._too_large(scope, receive, send, cap)
                return
            # The server delivers no more than the declared length (h11, httptools).
            await self.app(scope, receive, send)
            return
        if header(scope, b"transfer-encoding") is None:
            await self.app(scope, receive, send)  # no body
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > cap:
                await self._too_large(scope, receive, send, cap)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(b"".join(chunks), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        detail = f"request bodies are limited to {cap} bytes"
        await problem(413, "Request body too large", detail, "too_large")(scope, receive, send)
