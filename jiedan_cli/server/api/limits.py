"""Request bodies are capped: a larger one is refused with 413 before it is read whole."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from jiedan_cli.server.api.problems import problem
from jiedan_cli.server.api.request_bodies import header, replaying


class BodyLimit:
    """A declared Content-Length over the cap is refused at once. A body of no declared
    length (chunked) is read here, up to the cap, before the app sees it: refused inside
    the app's own read, it would surface as FastAPI's "error parsing the body" (a 422)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self._too_large(scope, receive, send)
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
            if seen > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(b"".join(chunks), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"request bodies are limited to {self.max_bytes} bytes"
        await problem(413, "Request body too large", detail, "too_large")(scope, receive, send)
