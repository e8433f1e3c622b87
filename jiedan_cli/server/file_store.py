"""Where delivered files' content lives: a `FileStore`, keyed by "<delivery id>/<index>".

An upload is written to a partial object in order; its size is the upload's offset, so
every process that can reach the store agrees on it (nothing is kept in a process's
memory). When the last byte is in, the whole is hashed and sealed as the complete object.
`LocalFileStore` keeps both under a folder (JIEDAN_SERVER_DELIVERY_FILES_DIR; several hosts
must share it, e.g. over NFS). An S3-compatible store behind the same interface is not built
yet (docs/decisions.md)."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from jiedan_cli.domain.errors import Conflict

READ_CHUNK = 1 << 20


class OffsetMismatch(Conflict):
    """A chunk sent for another offset than the store holds (HTTP 409): ask again."""

    code = "upload_offset"

    def __init__(self, held: int) -> None:
        super().__init__(f"the server holds {held} bytes of this file; send from there")
        self.held = held


class FileStore(Protocol):
    def received(self, key: str) -> int:
        """Bytes of the upload held so far (0 when none)."""

    def is_complete(self, key: str) -> bool:
        """Whether the object was sealed (all received, hash checked)."""

    def append(self, key: str, offset: int, chunk: bytes) -> int:
        """Write `chunk` at `offset`, which must be what is held (else OffsetMismatch);
        returns the new size. Two writers of one key take turns."""

    def received_sha256(self, key: str) -> str:
        """The SHA-256 (hex) of what is held."""

    def seal(self, key: str) -> None:
        """Make what is held the complete object."""

    def discard(self, key: str) -> None:
        """Drop what is held (a hash mismatch: start again from 0)."""

    def path(self, key: str) -> Path:
        """A local path of the complete object, for sending it."""


class LocalFileStore:
    """Objects as files under `root` (made 0700): `<key>` complete, `<key>.part` partial."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _partial(self, key: str) -> Path:
        return self.root / f"{key}.part"

    def path(self, key: str) -> Path:
        return self.root / key

    def is_complete(self, key: str) -> bool:
        return self.path(key).is_file()

    def received(self, key: str) -> int:
        if self.is_complete(key):
            return self.path(key).stat().st_size
        try:
            return self._partial(key).stat().st_size
        except FileNotFoundError:
            return 0

    @contextmanager
    def _locked_partial(self, key: str) -> Iterator[int]:
        partial = self._partial(key)
        partial.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(partial, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)

    def append(self, key: str, offset: int, chunk: bytes) -> int:
        if self.is_complete(key):
            raise OffsetMismatch(self.received(key))
        with self._locked_partial(key) as fd:
            held = os.fstat(fd).st_size
            if offset != held:
                raise OffsetMismatch(held)
            os.lseek(fd, held, os.SEEK_SET)
            view = memoryview(chunk)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            return held + len(chunk)

    def received_sha256(self, key: str) -> str:
        digest = hashlib.sha256()
        source = self.path(key) if self.is_complete(key) else self._partial(key)
        with source.open("rb") as handle:
            while block := handle.read(READ_CHUNK):
                digest.update(block)
        return digest.hexdigest()

    def seal(self, key: str) -> None:
        os.replace(self._partial(key), self.path(key))

    def discard(self, key: str) -> None:
        self._partial(key).unlink(missing_ok=True)


def default_files_dir(database_url: str, server_dir: Path) -> Path:
    """Beside a SQLite database file (its data dir); else under the server's data dir."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and ":memory:" not in database_url:
        return Path(database_url[len(prefix) :].split("?", 1)[0]).parent / "delivery-files"
    return server_dir / "delivery-files"
