"""Where a downloaded delivery file is written: a name made safe (the server and the other
party chose it: no folder part, no `..`, no control characters), never through a symbolic
link, as a new 0600 file renamed into place only once its SHA-256 is checked."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from jiedan_cli.domain.delivery_files import local_file_name
from jiedan_cli.domain.errors import InvalidInput

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def target_path(folder: Path, name: str, *, fallback: str) -> Path:
    """`folder`/<`name` made safe>; InvalidInput when a link or a non-regular file is there."""
    if not folder.is_dir():
        raise InvalidInput(f"-o: {folder} is not a folder", field="output")
    path = folder / local_file_name(name, fallback=fallback)
    try:
        found = path.lstat()
    except FileNotFoundError:
        return path
    if stat.S_ISLNK(found.st_mode):
        raise InvalidInput(f"{path} is a symbolic link: not written through", field="output")
    if not stat.S_ISREG(found.st_mode):
        raise InvalidInput(f"{path} is not a regular file", field="output")
    return path


@contextmanager
def private_file(path: Path) -> Iterator[BinaryIO]:
    """A new 0600 file beside `path`, renamed over it when the block ends well (a file that
    was there is replaced, never written into); removed when it does not."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
