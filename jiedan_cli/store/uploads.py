"""Delivered files whose content is still to be sent: recorded with the delivery (in its
transaction), so a delivery made offline uploads its files when the network is back. Each
row remembers where the file is on this machine and how much of it the server confirmed
(`offset`); the uploader (sync/uploads.py) moves it on.

States: `pending` (to send), `done` (the server has it whole), `failed` (it cannot be sent:
the file changed or went away, the server refused it; `error` says why), `dropped` (the
delivery itself was refused: nothing to send it for)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from jiedan_cli.domain.intents import Intent
from jiedan_cli.store.transaction import transaction

PENDING, DONE, FAILED, DROPPED = "pending", "done", "failed", "dropped"


@dataclass(frozen=True)
class Upload:
    delivery_id: str
    file_index: int
    path: str
    name: str
    size: int
    sha256: str
    offset: int
    state: str
    error: str | None


def record_uploads(conn: sqlite3.Connection, delivery_id: str, files: list[dict[str, Any]]) -> None:
    """Remember each of a delivery's files (with its `path`) as an upload to make; inside
    the caller's transaction."""
    with transaction(conn):
        for index, item in enumerate(files):
            conn.execute(
                "INSERT INTO uploads (delivery_id, file_index, path, name, size, sha256)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (delivery_id, index, item["path"], item["name"], item["size"], item["sha256"]),
            )


def _upload(row: sqlite3.Row) -> Upload:
    return Upload(
        row["delivery_id"],
        row["file_index"],
        row["path"],
        row["name"],
        row["size"],
        row["sha256"],
        row["offset"],
        row["state"],
        row["error"],
    )


def pending_uploads(conn: sqlite3.Connection, delivery_id: str | None = None) -> list[Upload]:
    """Uploads still to make (of one delivery, or all), oldest delivery first."""
    where, args = "state = ?", [PENDING]
    if delivery_id is not None:
        where, args = where + " AND delivery_id = ?", [*args, delivery_id]
    rows = conn.execute(f"SELECT * FROM uploads WHERE {where} ORDER BY rowid", args).fetchall()
    return [_upload(row) for row in rows]


def uploads_of(conn: sqlite3.Connection, delivery_id: str) -> dict[int, Upload]:
    rows = conn.execute("SELECT * FROM uploads WHERE delivery_id = ?", (delivery_id,))
    return {row["file_index"]: _upload(row) for row in rows}


def delivery_state(conn: sqlite3.Connection, delivery_id: str) -> str | None:
    """The state of the `deliver` operation that made this delivery: pending, done,
    rejected — or None when the outbox no longer holds it (made elsewhere, or long ago)."""
    row = conn.execute(
        "SELECT state FROM outbox WHERE intent = ? AND json_extract(args, '$.id') = ?",
        (Intent.DELIVER, delivery_id),
    ).fetchone()
    return None if row is None else str(row["state"])


def set_offset(conn: sqlite3.Connection, upload: Upload, offset: int) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE uploads SET offset = ? WHERE delivery_id = ? AND file_index = ?",
            (offset, upload.delivery_id, upload.file_index),
        )


def settle(conn: sqlite3.Connection, upload: Upload, state: str, error: str | None = None) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE uploads SET state = ?, error = ?,"
            " offset = CASE WHEN ? = 'done' THEN size ELSE offset END"
            " WHERE delivery_id = ? AND file_index = ?",
            (state, error, state, upload.delivery_id, upload.file_index),
        )


def with_upload_states(conn: sqlite3.Connection, delivery: dict[str, Any]) -> dict[str, Any]:
    """`delivery` with each file's `uploaded` (the server copy says so, or this machine sent
    it whole) and, for a file this machine still sends, `upload` {state, offset, error}."""
    mine = uploads_of(conn, str(delivery.get("id")))
    files = []
    for index, item in enumerate(delivery.get("files") or []):
        shown = {k: v for k, v in item.items() if k != "path"}
        local = mine.get(index)
        sent = local is not None and local.state == DONE
        shown["uploaded"] = bool(item.get("uploaded")) or sent
        if local is not None and local.state != DONE:
            shown["upload"] = {"state": local.state, "offset": local.offset, "error": local.error}
        files.append(shown)
    return {**delivery, "files": files}
