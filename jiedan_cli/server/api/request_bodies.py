"""Request bodies at the ASGI level: reading one whole, handing it on again, and accepting
`Content-Encoding: gzip` (sync pushes are compressed on weak networks, sync.md). The
decompressed size is capped like a plain body: a gzip bomb is a 413, never a full memory."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value)
    return None


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ConnectionAbortedError("the client went away while sending its body")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that gives `body` once, then whatever the connection says (a disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    code: str,
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    body: dict[str, Any] = {
        "type": f"https://jiedan.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(raw)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


class BodyTooLarge(Exception):
    pass


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress gzip `data` (one or more members); BodyTooLarge past `max_bytes`,
    ValueError when it is not gzip or is cut short."""
    out = bytearray()
    rest = data
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise ValueError(str(exc)) from exc
        if len(out) > max_bytes:
            raise BodyTooLarge
        if not inflater.eof:
            raise ValueError("the gzip stream is cut short")
        rest = inflater.unused_data
        if not rest:
            return bytes(out)


class GzipRequests:
    """Accept request bodies sent with `Content-Encoding: gzip`; refuse other encodings."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        encoding = header(scope, b"content-encoding") if scope["type"] == "http" else None
        if encoding is None or encoding.strip().lower() in (b"", b"identity"):
            await self.app(scope, receive, send)
            return
        if encoding.strip().lower() != b"gzip":
            await send_problem(
                send, 415, "Unsupported encoding", "bodies may be sent as gzip only", "unsupported"
            )
            return
        try:
            body = gunzip(await read_body(receive), self.max_bytes)
        except BodyTooLarge:
            detail = f"request bodies are limited to {self.max_bytes} bytes, uncompressed"
            await send_problem(send, 413, "Request body too large", detail, "too_large")
            return
        except ValueError:
            detail = "the body is not valid gzip"
            await send_problem(send, 422, "Invalid request", detail, "invalid_input")
            return
        kept = [
            (k, v)
            for k, v in scope.get("headers") or ()
            if k not in (b"content-encoding", b"content-length")
        ]
        kept.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": kept}, replaying(body, receive), send)
