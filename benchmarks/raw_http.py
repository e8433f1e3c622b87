"""A kept-alive HTTP/1.1 connection over asyncio streams: what a load needs of a client and
no more, as wrk is. The load shares the server's 2 CPUs; httpx cost P10's load ≈ 2.5 ms of
CPU a request (≈ 20 ms a flow of 8, beside ≈ 110 ms of the server's and ≈ 40 ms of
PostgreSQL's), which this client cuts to a fraction. Requests and answers are plain
HTTP/1.1: a Content-Length body (or a chunked one), `Connection: close` honoured."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class TransportError(Exception):
    """The connection failed or closed before a whole answer came."""


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Connection:
    """One connection to `base` (http://host:port), opened on first use, closed after
    `idle_close` s unused — before the server's keep-alive timeout closes it under a request
    (as browsers and proxies do) — and reopened when needed. One request at a time."""

    def __init__(self, base: str, *, idle_close: float = 2.0, timeout: float = 60.0) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.idle_close = idle_close
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def request(
        self, method: str, path: str, *, headers: dict[str, str], body: bytes | None = None
    ) -> Answer:
        try:
            return await asyncio.wait_for(self._request(method, path, headers, body), self.timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            await self.aclose()
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc

    async def _request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> Answer:
        if self._writer is not None and time.monotonic() - self._last_used > self.idle_close:
            await self.aclose()
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None and self._writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        found = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                found[name.strip().lower()] = value.strip()
        if found.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self._reader.readexactly(int(found.get("content-length", "0")))
        self._last_used = time.monotonic()
        if found.get("connection", "").lower() == "close":
            await self.aclose()
        return Answer(status, content)

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")  # no trailers from our server
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    async def aclose(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
