"""What a delivery records of each file: name, size and SHA-256, computed where the file is
(the metadata syncs offline; the content is uploaded after it, store/uploads.py).
`jiedan deliver` and the dashboard's Deliver dialog both describe files with this."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from jiedan_cli.domain.errors import InvalidInput

CHUNK = 1 << 20


def describe_file(path: Path, *, label: str = "file") -> dict[str, Any]:
    """{name, size, sha256} of a regular file; InvalidInput naming `label` when there is none
    or it cannot be read."""
    if not path.is_file():
        raise InvalidInput(f"{label}: {path} is not a readable file", field="file")
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise InvalidInput(f"{label}: cannot read {path}: {exc.strerror}", field="file") from None
    return {"name": path.name, "size": size, "sha256": digest.hexdigest()}


def delivered_file(path: Path, *, label: str = "file") -> dict[str, Any]:
    """`describe_file` and the file's absolute `path`, which the delivery keeps on this
    machine only (store/actions.deliver): the upload reads the content from there."""
    return {**describe_file(path, label=label), "path": str(path.absolute())}
