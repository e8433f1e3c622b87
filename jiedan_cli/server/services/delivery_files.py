"""The content of delivered files: uploaded in chunks by the delivering freelancer, checked
against the SHA-256 the delivery recorded, fetched by the order's parties (and by the staff
who settle a dispute on it). Anyone else is told there is no such delivery (404).

The offset of an upload is what the file store holds (server/file_store.py), so any process
answers the same. When the last byte is in, the whole is hashed: a mismatch drops it (the
upload starts again from 0); a match seals it and marks the file `uploaded` in the delivery,
whose change tells both parties' replicas."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from jiedan_cli.domain.delivery_files import check_file_size
from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import deliveries, orders
from jiedan_cli.server.file_store import FileStore
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.changes import Kind, publish
from jiedan_cli.server.services.deliveries import find_delivery

_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DISPUTE_STAFF = frozenset({"admin", "support"})  # the roles that resolve disputes


def _key(delivery_id: str, index: int) -> str:
    return f"{delivery_id}/{index}"


def _find(conn: Connection, delivery_id: str, index: int) -> tuple[Row[Any], dict[str, Any]]:
    row = None
    if _ID.match(delivery_id):
        row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
    if row is None or not 0 <= index < len(row.files):
        raise NotFound(f"no file {index} of a delivery {delivery_id}")
    return row, dict(row.files[index])


def _may_read(conn: Connection, actor: Actor, delivery: Row[Any]) -> bool:
    order = conn.execute(
        select(orders.c.client_id, orders.c.status).where(orders.c.id == delivery.order_id)
    ).first()
    if order is None:
        return False
    if actor.id in (order.client_id, delivery.freelancer_id):
        return True
    return order.status == "disputed" and bool(actor.roles & DISPUTE_STAFF)


def upload_status(
    conn: Connection, store: FileStore, actor: Actor, delivery_id: str, index: int, cap: int
) -> dict[str, Any]:
    """{offset, size, complete} of a file the caller delivered (404 for anyone else)."""
    delivery, item = _find(conn, delivery_id, index)
    if delivery.freelancer_id != actor.id:
        raise NotFound(f"no file {index} of a delivery {delivery_id} of yours")
    check_file_size(item["size"], cap, name=item["name"])
    key = _key(delivery_id, index)
    return {
        "offset": store.received(key),
        "size": item["size"],
        "complete": store.is_complete(key),
    }


def receive_chunk(
    db: Database,
    store: FileStore,
    actor: Actor,
    *,
    delivery_id: str,
    index: int,
    offset: int,
    chunk: bytes,
    cap: int,
    now: datetime,
) -> dict[str, Any]:
    """Append `chunk` at `offset` (409 upload_offset when the store holds another amount);
    past the recorded size is refused. The last chunk seals the file when its SHA-256 is
    the recorded one; else the upload is dropped: 422 hash_mismatch."""
    with db.read() as conn:
        status = upload_status(conn, store, actor, delivery_id, index, cap)
        _delivery, item = _find(conn, delivery_id, index)
    key, size = _key(delivery_id, index), item["size"]
    if offset < 0 or offset + len(chunk) > size:
        raise InvalidInput(
            f"bytes {offset}–{offset + len(chunk)} fall outside the file's {size} bytes",
            code="upload_past_end",
        )
    held = status["offset"] if status["complete"] else store.append(key, offset, chunk)
    if held == size and not status["complete"]:
        if store.received_sha256(key) != item["sha256"]:
            store.discard(key)
            raise InvalidInput(
                f"{item['name']}: the uploaded bytes do not have the delivered SHA-256;"
                " upload it again from the start",
                code="hash_mismatch",
            )
        store.seal(key)
    complete = store.is_complete(key)
    if complete:
        with db.write() as conn:
            mark_uploaded(conn, delivery_id, index, now=now)
    return {"offset": held, "size": size, "complete": complete}


def mark_uploaded(conn: Connection, delivery_id: str, index: int, *, now: datetime) -> None:
    """Note in the delivery that a file's content is there (once), and tell both parties."""
    row = conn.execute(
        select(deliveries).where(deliveries.c.id == delivery_id).with_for_update()
    ).first()
    if row is None or row.files[index].get("uploaded"):
        return
    files = [dict(f) for f in row.files]
    files[index]["uploaded"] = True
    conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(files=files))
    publish(conn, Kind.DELIVERY, find_delivery(conn, delivery_id), now=now)


def download_target(
    conn: Connection, store: FileStore, actor: Actor, delivery_id: str, index: int
) -> dict[str, Any]:
    """{key, name, size, sha256} of a file the caller may read and whose content is there
    (409 not_uploaded while it is not)."""
    delivery, item = _find(conn, delivery_id, index)
    if not _may_read(conn, actor, delivery):
        raise NotFound(f"no file {index} of a delivery {delivery_id}")
    key = _key(delivery_id, index)
    if not store.is_complete(key):
        raise Conflict(
            f"{item['name']}: its content has not been uploaded yet", code="not_uploaded"
        )
    return {"key": key, "name": item["name"], "size": item["size"], "sha256": item["sha256"]}
