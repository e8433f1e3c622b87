"""A request body arrives at a pace or not at all: each chunk must come within
`body_timeout_seconds` of asking for it, else the request is answered 408 (when no answer
has started) and its connection closed. A client trickling a body would otherwise hold a
request, and what it holds (a connection slot, a worker's attention), without end."""

from __future__ import annotations

import anyio
import anyio.lowlevel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiedan_cli.server.api.problems import problem
from jiedan_cli.server.api.request_bodies import header


class BodyTimeout:
    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0 or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        body_done = False
        timed_out = False
        started = False

        with anyio.CancelScope() as request:

            async def paced_receive() -> Message:
                nonlocal body_done, timed_out
                if body_done:  # waiting for a disconnect, not for the body: no limit
                    return await receive()
                with anyio.move_on_after(self.seconds):
                    message = await receive()
                    body_done = message["type"] != "http.request" or not message.get(
                        "more_body", False
                    )
                    return message
                # The app may catch any Exception around its body read (FastAPI turns one
                # into a 400); cancelling the whole request cannot be caught that way.
                timed_out = True
                request.cancel()
                await anyio.lowlevel.checkpoint()
                raise AssertionError("unreachable: the request was cancelled")

            async def tracked_send(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send(message)

            await self.app(scope, paced_receive, tracked_send)

        if timed_out and not started:
            detail = f"each part of a request body must arrive within {self.seconds:g} s"
            answer = problem(408, "Request body too slow", detail, "request_timeout")
            # The rest of the body may still come: this connection cannot carry another one.
            answer.headers["connection"] = "close"
            await answer(scope, receive, send)


def _has_body(scope: Scope) -> bool:
    """Whether the request declares a body: a length above 0, or chunks. Most requests (every
    GET: P5) declare none, and pay nothing here — the cancel scope and the wrapped channels
    cost ≈ 12 µs a request in process."""
    if header(scope, b"transfer-encoding") is not None:
        return True
    declared = header(scope, b"content-length")
    return declared is not None and declared.strip() not in (b"", b"0")
