"""uvicorn's HTTP/1.1 protocol with a deadline for a request's line and headers, which uvicorn
lacks: a client that connects and sends a header a byte at a time (slowloris) would hold its
connection for ever. The clock starts when the connection opens, and on a kept-alive
connection at the first byte of the next request (until then uvicorn's keep-alive timeout
closes an idle one); it stops when the headers are complete. Late: the connection is closed.

uvicorn builds one protocol object per connection from the class alone, in every worker
process, so the deadline is read from the JIEDAN_SERVER_* environment the workers share."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

log = logging.getLogger("jiedan.http")


@functools.cache
def header_timeout_seconds() -> float:
    from jiedan_cli.server.config import Settings

    return Settings.from_env(secrets=False).header_timeout_seconds


class HeaderTimeoutProtocol(H11Protocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout = header_timeout_seconds()
        self.header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_clock()

    def data_received(self, data: bytes) -> None:
        if self.header_deadline is None and self._between_requests():
            self._start_header_clock()
        super().data_received(data)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request's line and headers are in
            self._stop_header_clock()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._stop_header_clock()
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)

    def _between_requests(self) -> bool:
        idle = self.cycle is None or self.cycle.response_complete
        return idle and self.conn.their_state is h11.IDLE

    def _start_header_clock(self) -> None:
        self._stop_header_clock()
        if self.header_timeout > 0:
            self.header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_late)

    def _stop_header_clock(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _headers_too_late(self) -> None:
        self.header_deadline = None
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown"
        log.info(
            "closed a connection whose request headers took over %g s",
            self.header_timeout,
            extra={"client": client},
        )
        with contextlib.suppress(h11.LocalProtocolError):  # a half-read request
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()
