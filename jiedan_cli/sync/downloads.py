"""Fetching a delivered file's content (`GET /v1/deliveries/{id}/files/{n}`): streamed to a
new private file, hashed on the way, and kept only when its SHA-256 is the delivered one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from jiedan_cli.domain.errors import NotFound, Offline, Refused
from jiedan_cli.store.received_files import private_file, target_path
from jiedan_cli.sync.http import error_for

BLOCK = 1 << 16


def download_file(
    client: httpx.Client,
    delivery_id: str,
    index: int,
    item: dict[str, Any],
    folder: Path,
    *,
    moved: Callable[[int], None] | None = None,
) -> Path:
    """Write file `index` of the delivery into `folder`; its path. Refused (hash_mismatch)
    when what came is not what was delivered: nothing is left behind then."""
    path = target_path(folder, str(item.get("name") or ""), fallback=f"file-{index}")
    url = f"/v1/deliveries/{delivery_id}/files/{index}"
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                response.read()
                raise error_for(response)
            with private_file(path) as handle:
                digest = hashlib.sha256()
                for block in response.iter_bytes(BLOCK):
                    digest.update(block)
                    handle.write(block)
                    if moved is not None:
                        moved(len(block))
                if digest.hexdigest() != item.get("sha256"):
                    raise Refused(
                        f"{path.name}: what the server sent is not the delivered file"
                        " (SHA-256 differs); nothing was kept",
                        code="hash_mismatch",
                    )
    except (httpx.TransportError, httpx.DecodingError) as exc:
        raise Offline(
            f"the download from {client.base_url} was cut ({type(exc).__name__})"
        ) from exc
    return path


def latest_files(
    deliveries: list[dict[str, Any]], name: str | None = None
) -> list[tuple[dict[str, Any], int]]:
    """(delivery, file index) to fetch: the files of the latest delivery that has files, or
    the latest file called `name`; NotFound when there is none."""
    for delivery in reversed(deliveries):
        files = delivery.get("files") or []
        picked = [i for i, f in enumerate(files) if name is None or f.get("name") == name]
        if picked:
            return [(delivery, i) for i in picked]
    what = f"no delivered file {name!r}" if name else "no delivered files"
    raise NotFound(f"{what} on this order in the local copy (run `jiedan sync`)")


def fetch_files(
    client: httpx.Client,
    chosen: list[tuple[dict[str, Any], int]],
    folder: Path,
    *,
    started: Callable[[dict[str, Any]], Callable[[int], None] | None] | None = None,
) -> list[dict[str, Any]]:
    """Download each chosen file into `folder` (the command line's `deliveries download`
    and the dashboard's Get files): what was saved, with its path. `started(item)` may
    return a callback told of each block's size (a progress bar)."""
    saved = []
    for delivery, index in chosen:
        item = delivery["files"][index]
        moved = started(item) if started is not None else None
        path = download_file(client, delivery["id"], index, item, folder, moved=moved)
        saved.append(
            {
                "delivery_id": delivery["id"],
                "name": item["name"],
                "size": item["size"],
                "sha256": item["sha256"],
                "path": str(path),
            }
        )
    return saved
