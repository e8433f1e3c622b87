"""Delivered files' content: the rules the uploader, the server and the downloader share.

An upload goes in chunks (tus-like: the server says how much it holds, the client sends
from there), so a cut connection costs at most the chunk in flight. A file name comes from
the other side: it is made safe before it names anything on this machine."""

from __future__ import annotations

import unicodedata

from jiedan_cli.domain.errors import TooLarge

UPLOAD_CHUNK_BYTES = 4 << 20  # what the client sends in one request
UPLOAD_CHUNK_MAX = 16 << 20  # the largest chunk the server reads (a body cap of its own)
NAME_MAX = 255


def check_file_size(size: int, cap: int, *, name: str = "file") -> None:
    """Refuse a file over the server's cap (JIEDAN_SERVER_MAX_DELIVERY_FILE_BYTES)."""
    if size > cap:
        raise TooLarge(f"{name}: {size} bytes; delivered files are limited to {cap} bytes")


def local_file_name(name: str, *, fallback: str) -> str:
    """`name` as a plain file name in the folder it is written to: no folder part (`../x`,
    `/etc/x`, `a\\b` keep only their last part), no control or bidi-override characters,
    no leading dots (no hidden files, never `.` or `..`); `fallback` when nothing is left."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in last if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    kept = kept.strip().lstrip(".").strip()
    while len(kept.encode()) > NAME_MAX:
        kept = kept[:-1]
    return kept or fallback
