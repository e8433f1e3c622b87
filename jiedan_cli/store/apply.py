"""Applying pulled changes to the server copy: one page and its cursor in one transaction.

An interrupted pull therefore resumes from the last page it committed — the cursor is never
ahead of the data, and nothing is applied twice — and memory stays bounded by one page on a
large initial sync. Orders keep their full-text rows (store/fts.py) in step in the same
transaction. Plain sqlite3 statements are used rather than sqlite_utils' upserts: the FTS
bookkeeping needs the old row anyway, and a quick sync after each command should not pay
sqlite_utils' import.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jiedan_cli.domain.timefmt import rfc3339, utcnow
from jiedan_cli.store.db import transaction
from jiedan_cli.store.fts import index_text
from jiedan_cli.store.migrations import PAYLOAD_TABLES

# entity name in the change log → replica table (orders are handled on their own)
ENTITY_TABLES = {
    "bid": "bids",
    "milestone": "milestones",
    "delivery": "deliveries",
    "message": "messages",
    "review": "reviews",
    "ledger_entry": "ledger_entries",
    "points_entry": "points_entries",
    "profile": "profiles",
    "dispute": "disputes",
}
SERVER_COPY_TABLES = ("orders", "order_tags", *ENTITY_TABLES.values(), "extra_entities")

_ORDER_COLUMNS = (
    "id, title, description, category, tags, budget_min_fen, budget_max_fen, status,"
    " client_id, freelancer_id, created_at, updated_at, deadline, lat, lon, data"
)
_ORDER_UPDATE = ", ".join(f"{c.strip()} = ?" for c in _ORDER_COLUMNS.split(",")[1:])


@dataclass(frozen=True)
class PageResult:
    applied: int  # changes written
    has_more: bool
    reset: bool
    cursor: str | None


def apply_page(
    conn: sqlite3.Connection, page: Mapping[str, Any], *, now: datetime | None = None
) -> PageResult:
    """Apply one pull page {changes, next_cursor, has_more, last_seq, epoch, reset}.

    With `reset` (the server's epoch changed: a restored or replaced database) the server
    copy and the cursor are cleared first; the outbox is kept, so pending operations are
    pushed again — see outbox.renumber."""
    reset = bool(page.get("reset"))
    with transaction(conn):
        if reset:
            clear_server_copy(conn)
        applied = apply_changes(conn, page.get("changes") or ())
        conn.execute(
            "UPDATE sync_state SET cursor = ?, epoch = coalesce(?, epoch),"
            " last_seq = coalesce(?, last_seq), last_sync_at = ? WHERE id = 1",
            (
                page.get("next_cursor"),
                page.get("epoch"),
                page.get("last_seq"),
                rfc3339(now or utcnow()),
            ),
        )
    return PageResult(applied, bool(page.get("has_more")), reset, page.get("next_cursor"))


def apply_changes(conn: sqlite3.Connection, changes: Iterable[Mapping[str, Any]]) -> int:
    """Write changes in order inside the caller's transaction; returns how many.

    Consecutive puts of one entity are written together (executemany): the same final state
    as one by one, at a fraction of the per-statement cost of a large initial sync."""
    applied = 0
    run: list[Mapping[str, Any]] = []
    run_entity = None
    for change in changes:
        entity, op, entity_id = change["entity"], change["op"], str(change["id"])
        if op not in ("put", "delete"):
            raise ValueError(f"change {change.get('seq')}: unknown op {op!r}")
        applied += 1
        if op == "put" and entity == run_entity:
            run.append(change["data"])
            continue
        _put_run(conn, run_entity, run)
        run, run_entity = [], None
        if entity != "order" and entity not in ENTITY_TABLES:
            _keep_extra(conn, entity, entity_id, change.get("data") if op == "put" else None)
        elif op == "put":
            run, run_entity = [change["data"]], entity
        elif entity == "order":
            delete_order(conn, entity_id)
        else:
            conn.execute(f"DELETE FROM {ENTITY_TABLES[entity]} WHERE id = ?", (entity_id,))
    _put_run(conn, run_entity, run)
    return applied


def _keep_extra(conn: sqlite3.Connection, entity: str, entity_id: str, data: Any) -> None:
    """An entity this version has no table for: kept as pulled (None deletes it)."""
    if data is None:
        conn.execute("DELETE FROM extra_entities WHERE entity = ? AND id = ?", (entity, entity_id))
        return
    conn.execute(
        "INSERT INTO extra_entities (entity, id, data) VALUES (?, ?, ?)"
        " ON CONFLICT(entity, id) DO UPDATE SET data = excluded.data",
        (entity, entity_id, _dumps(data)),
    )


def _put_run(conn: sqlite3.Connection, entity: str | None, run: list[Mapping[str, Any]]) -> None:
    if entity == "order":
        put_orders(conn, run)
    elif entity is not None:
        _put_payloads(conn, ENTITY_TABLES[entity], run)


def _put_payloads(conn: sqlite3.Connection, table: str, run: list[Mapping[str, Any]]) -> None:
    columns = list(PAYLOAD_TABLES[table])
    names = ", ".join(["id", *columns, "data"])
    marks = ", ".join("?" * (len(columns) + 2))
    updates = ", ".join(f"{c} = excluded.{c}" for c in [*columns, "data"])
    conn.executemany(
        f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates}",
        # a profile's payload names its key `user_id` (H7: profiles pulled at sign-up broke here)
        [
            [str(data.get("id") or data["user_id"]), *(data.get(c) for c in columns), _dumps(data)]
            for data in run
        ],
    )


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# ---- orders ---------------------------------------------------------------------------

OrderText = tuple[int, str, str, list[str], str]  # num, title, description, tags, category
_CHUNK = 500  # ids per IN (…) lookup


def order_fts_text(title: str, description: str, tags: list[str], category: str) -> tuple[str, str]:
    """The (title, body) texts an order is indexed under. The same function must produce the
    text for deleting an index entry, so it is the one place this is decided."""
    body = " ".join([description or "", *tags, category or ""])
    return index_text(title or ""), index_text(body)


def _order_values(data: Mapping[str, Any]) -> tuple[tuple[Any, ...], list[str]]:
    """The orders row for a payload, and its tags."""
    if data.get("my_bid") is not None:  # per viewer: computed when read, never stored
        data = {**data, "my_bid": None}
    location = data.get("location") or {}
    tags = [str(t) for t in data.get("tags") or []]
    values = (
        str(data["id"]),
        data.get("title") or "",
        data.get("description") or "",
        data.get("category") or "",
        _dumps(tags),
        data.get("budget_min_fen"),
        data.get("budget_max_fen"),
        data["status"],
        data.get("client_id"),
        data.get("freelancer_id"),
        data["created_at"],
        data.get("updated_at"),
        data.get("deadline"),
        location.get("lat"),
        location.get("lon"),
        _dumps(data),
    )
    return values, tags


def _text_of(num: int, values: tuple[Any, ...], tags: list[str]) -> OrderText:
    return (num, values[1], values[2], tags, values[3])


def put_order(conn: sqlite3.Connection, data: Mapping[str, Any]) -> None:
    put_orders(conn, [data])


def put_orders(conn: sqlite3.Connection, batch: Iterable[Mapping[str, Any]]) -> None:
    """Insert or update orders (the last put of an id wins, as one by one), keeping their
    tags and full-text rows in step."""
    rows = {row[0][0]: row for row in map(_order_values, batch)}
    ids = list(rows)
    old: dict[str, sqlite3.Row] = {}
    for at in range(0, len(ids), _CHUNK):
        chunk = ids[at : at + _CHUNK]
        found = conn.execute(
            "SELECT num, id, title, description, tags, category FROM orders"
            f" WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        old.update((row["id"], row) for row in found)
    _insert_orders(conn, [row for oid, row in rows.items() if oid not in old])
    _update_orders(conn, [(old[oid], *row) for oid, row in rows.items() if oid in old])


Values = tuple[tuple[Any, ...], list[str]]  # an orders row, and its tags


def _insert_orders(conn: sqlite3.Connection, new: list[Values]) -> None:
    if not new:
        return
    # We hold the write lock, so numbering from max(num) cannot collide; a reused num of a
    # deleted order is safe, its index entry left with it.
    first = conn.execute("SELECT coalesce(max(num), 0) + 1 FROM orders").fetchone()[0]
    marks = ", ".join("?" * (len(new[0][0]) + 1))
    conn.executemany(
        f"INSERT INTO orders (num, {_ORDER_COLUMNS}) VALUES ({marks})",
        [(first + k, *values) for k, (values, _tags) in enumerate(new)],
    )
    _index_orders(conn, [_text_of(first + k, *row) for k, row in enumerate(new)])


def _update_orders(
    conn: sqlite3.Connection, changed: list[tuple[sqlite3.Row, tuple[Any, ...], list[str]]]
) -> None:
    if not changed:
        return
    conn.executemany(
        f"UPDATE orders SET {_ORDER_UPDATE} WHERE num = ?",
        [(*values[1:], old["num"]) for old, values, _tags in changed],
    )
    before = [
        (old["num"], old["title"], old["description"], json.loads(old["tags"]), old["category"])
        for old, _values, _tags in changed
    ]
    after = [_text_of(old["num"], values, tags) for old, values, tags in changed]
    # Most updates (bid_count, status) leave the text alone: the index is not touched then.
    moved = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    _unindex_orders(conn, [b for b, _a in moved])
    _index_orders(conn, [a for _b, a in moved])


def delete_order(conn: sqlite3.Connection, order_id: str) -> None:
    old = conn.execute(
        "SELECT num, title, description, tags, category FROM orders WHERE id = ?", (order_id,)
    ).fetchone()
    if old is None:
        return
    tags = json.loads(old["tags"] or "[]")
    _unindex_orders(conn, [(old["num"], old["title"], old["description"], tags, old["category"])])
    conn.execute("DELETE FROM orders WHERE num = ?", (old["num"],))


def _index_orders(conn: sqlite3.Connection, orders: list[OrderText]) -> None:
    conn.executemany(
        "INSERT INTO orders_fts (rowid, title, body) VALUES (?, ?, ?)",
        [(num, *order_fts_text(t, d, tags, c)) for num, t, d, tags, c in orders],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO order_tags (tag, order_num) VALUES (?, ?)",
        [(tag.casefold(), num) for num, _t, _d, tags, _c in orders for tag in tags],
    )


def _unindex_orders(conn: sqlite3.Connection, orders: list[OrderText]) -> None:
    # A contentless FTS5 table forgets a row only when given the exact text it indexed.
    conn.executemany(
        "INSERT INTO orders_fts (orders_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)",
        [(num, *order_fts_text(t, d, tags, c)) for num, t, d, tags, c in orders],
    )
    conn.executemany(
        "DELETE FROM order_tags WHERE tag = ? AND order_num = ?",
        [(tag.casefold(), num) for num, _t, _d, tags, _c in orders for tag in tags],
    )


def clear_server_copy(conn: sqlite3.Connection) -> None:
    """Forget everything pulled (the outbox stays): the start of a rebuild after `reset`."""
    with transaction(conn):
        for table in SERVER_COPY_TABLES:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("INSERT INTO orders_fts (orders_fts) VALUES ('delete-all')")
        conn.execute("UPDATE sync_state SET cursor = NULL, epoch = NULL WHERE id = 1")
