"""Deliveries (交付): what the freelancer hands in — a note and file metadata (name, size,
SHA-256; the metadata syncs offline, the content is uploaded after it: delivery_files.py,
and each file says whether its content is there, `uploaded`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.order_rules import FILES_MAX
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import deliveries
from jiedan_cli.server.services.changes import Kind, order_parties, publish, register
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows

FILE_NAME_MAX = 255
FILE_SIZE_MAX = 1 << 40
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def delivery_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_id": row.order_id,
        "milestone_id": row.milestone_id,
        "freelancer_id": row.freelancer_id,
        "note": row.note,
        "files": [{**f, "uploaded": bool(f.get("uploaded"))} for f in row.files],
        "created_at": rfc3339(row.created_at),
    }


register(
    Kind.DELIVERY,
    view=delivery_view,
    audience=lambda row, context: order_parties(context, row.order_id),
)


def check_files(files: Any) -> list[dict[str, Any]]:
    """[{name, size, sha256}], at most FILES_MAX, nothing else in an item."""
    if not isinstance(files, list) or len(files) > FILES_MAX:
        raise InvalidInput(f"files: a list of at most {FILES_MAX} files", field="files")
    clean = []
    for n, item in enumerate(files):
        where = f"files.{n}"
        if not isinstance(item, dict) or set(item) != {"name", "size", "sha256"}:
            raise InvalidInput(f"{where}: needs exactly name, size and sha256", field=where)
        name, size, digest = item["name"], item["size"], item["sha256"]
        if not isinstance(name, str) or not 0 < len(name) <= FILE_NAME_MAX:
            raise InvalidInput(f"{where}.name: 1 to {FILE_NAME_MAX} characters", field=where)
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= FILE_SIZE_MAX:
            raise InvalidInput(f"{where}.size: a whole number of bytes", field=where)
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise InvalidInput(f"{where}.sha256: 64 hexadecimal digits", field=where)
        clean.append({"name": name, "size": size, "sha256": digest.lower()})
    return clean


def find_delivery(conn: Connection, delivery_id: str) -> Row[Any] | None:
    return conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()


def add_delivery(
    conn: Connection,
    order: Row[Any],
    *,
    delivery_id: str,
    milestone_id: str,
    note: str,
    files: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    conn.execute(
        insert(deliveries).values(
            id=delivery_id,
            order_id=order.id,
            milestone_id=milestone_id,
            freelancer_id=order.freelancer_id,
            note=note,
            files=files,
            created_at=now,
        )
    )
    row = find_delivery(conn, delivery_id)
    publish(conn, Kind.DELIVERY, row, now=now, order=order)
    return delivery_view(row)  # type: ignore[arg-type]


def deliveries_of(conn: Connection, order_id: str, page: PageRequest | None = None) -> Page:
    """The order's deliveries, oldest first."""
    query = select(deliveries).where(deliveries.c.order_id == order_id)
    rows, cursor = keyset_rows(conn, query, (deliveries.c.created_at, deliveries.c.id), page)
    return Page([delivery_view(r) for r in rows], cursor)
