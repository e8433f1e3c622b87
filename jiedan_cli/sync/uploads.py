"""Sending delivered files' content (docs/sync-protocol.md, "Delivered files"), after the
delivery itself was taken by the server.

For each pending upload: `HEAD …/upload` says how much the server holds; the file is read
from there and sent in chunks (`PATCH` with `Upload-Offset`), the offset remembered in the
replica after each. A cut connection costs the chunk in flight: the next sync asks again and
goes on. The file is checked against the delivered SHA-256 first; one that changed since
is not sent (`failed`: deliver it again)."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

import httpx

from jiedan_cli.domain.delivery_files import UPLOAD_CHUNK_BYTES
from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound, Offline
from jiedan_cli.store import uploads
from jiedan_cli.store.uploads import Upload
from jiedan_cli.sync.http import error_for
from jiedan_cli.sync.progress import ProgressCallback, report
from jiedan_cli.sync.retry import Deadline, RetryPolicy, retrying

READ_BLOCK = 1 << 20


@dataclass
class UploadReport:
    uploaded: int = 0  # files the server now holds whole
    failed: int = 0  # files that cannot be sent (see `jiedan deliveries list`)
    requests: int = 0
    stopped_early: bool = False  # the deadline came: the rest goes in the next sync


def upload_pending(
    conn: sqlite3.Connection,
    client: httpx.Client,
    *,
    deadline: Deadline,
    policy: RetryPolicy,
    progress: ProgressCallback | None = None,
    delivery_id: str | None = None,
    chunk_bytes: int = UPLOAD_CHUNK_BYTES,
) -> UploadReport:
    """Send every pending upload whose delivery the server has taken. Raises Offline when
    the server stays unreachable (what was sent is kept)."""
    result = UploadReport()
    ready = [u for u in uploads.pending_uploads(conn, delivery_id) if _ready(conn, u)]
    bytes_sent = _Bytes(progress, sum(u.size for u in ready), sum(u.offset for u in ready))
    for upload in ready:
        if deadline.expired():
            result.stopped_early = True
            break
        send = _FileSender(conn, client, deadline, policy, result, chunk_bytes)
        try:
            complete = send(upload, bytes_sent)
        except (InvalidInput, NotFound, Conflict) as exc:
            uploads.settle(conn, upload, uploads.FAILED, exc.message)
            result.failed += 1
            continue
        if not complete:
            result.stopped_early = True
            break
        result.uploaded += 1
    return result


@dataclass
class _Bytes:
    """Bytes of this sync's uploads the server holds, for the progress bar."""

    callback: ProgressCallback | None
    total: int
    held: int

    def moved(self, by: int) -> None:
        self.held += by
        report(self.callback, "upload", self.held, self.total)


def _ready(conn: sqlite3.Connection, upload: Upload) -> bool:
    """Whether the server has the delivery (its operation done); a refused delivery's
    uploads are dropped."""
    state = uploads.delivery_state(conn, upload.delivery_id)
    if state == "rejected":
        uploads.settle(conn, upload, uploads.DROPPED, "the delivery was refused")
        return False
    return state in ("done", None)


@dataclass
class _FileSender:
    conn: sqlite3.Connection
    client: httpx.Client
    deadline: Deadline
    policy: RetryPolicy
    result: UploadReport
    chunk_bytes: int

    def __call__(self, upload: Upload, bytes_sent: _Bytes) -> bool:
        """Send one file from the offset the server holds; True once it holds it whole,
        False when the deadline came first."""
        path = f"/v1/deliveries/{upload.delivery_id}/files/{upload.file_index}/upload"
        _check_unchanged(upload)
        offset = self.server_offset(path)
        bytes_sent.moved(offset - upload.offset)
        with open(upload.path, "rb") as handle:
            while offset < upload.size:
                if self.deadline.expired():
                    return False
                handle.seek(offset)
                chunk = handle.read(min(self.chunk_bytes, upload.size - offset))
                try:
                    now_held = self.send_chunk(path, offset, chunk)
                except Conflict as exc:
                    if exc.code != "upload_offset":
                        raise
                    now_held = self.server_offset(path)
                uploads.set_offset(self.conn, upload, now_held)
                bytes_sent.moved(now_held - offset)
                offset = now_held
        if upload.size == 0:
            self.send_chunk(path, 0, b"")
        uploads.settle(self.conn, upload, uploads.DONE)
        return True

    def server_offset(self, path: str) -> int:
        def ask(seconds_left: float | None) -> int:
            self.result.requests += 1
            response = _call(self.client, "HEAD", path, seconds_left)
            return int(response.headers.get("Upload-Offset", "0"))

        return retrying(ask, self.deadline, self.policy)

    def send_chunk(self, path: str, offset: int, chunk: bytes) -> int:
        headers = {
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }

        def send(seconds_left: float | None) -> int:
            self.result.requests += 1
            response = _call(
                self.client, "PATCH", path, seconds_left, content=chunk, headers=headers
            )
            return int(response.json()["offset"])

        return retrying(send, self.deadline, self.policy)


def _check_unchanged(upload: Upload) -> None:
    """The file as it was delivered: same size and SHA-256 (InvalidInput otherwise)."""
    digest, size = hashlib.sha256(), 0
    try:
        with open(upload.path, "rb") as handle:
            while block := handle.read(READ_BLOCK):
                digest.update(block)
                size += len(block)
    except OSError as exc:
        raise InvalidInput(f"{upload.path}: cannot read it ({exc.strerror})") from None
    if size != upload.size or digest.hexdigest() != upload.sha256:
        raise InvalidInput(
            f"{upload.path} changed since it was delivered; deliver it again", code="changed"
        )


def _call(
    client: httpx.Client,
    method: str,
    path: str,
    seconds_left: float | None,
    **options: object,
) -> httpx.Response:
    """One request; the answer, or the domain error it stands for (Offline when cut)."""
    timeout = client.timeout
    if seconds_left is not None:
        left = max(0.05, seconds_left)
        read, connect = timeout.read or left, timeout.connect or left
        timeout = httpx.Timeout(min(read, left), connect=min(connect, left))
    try:
        response = client.request(method, path, timeout=timeout, **options)  # type: ignore[arg-type]
    except (httpx.TransportError, httpx.DecodingError) as exc:
        raise Offline(f"the upload to {client.base_url} was cut ({type(exc).__name__})") from exc
    if response.status_code >= 400:
        raise error_for(response)
    return response
