"""Applying pulled changes to the server copy: one page and its cursor in one transaction.

An interrupted pull therefore resumes from the last page it committed — the cursor is never
ahead of the data, and nothing is applied twice — and memory stays bounded by one page on a
large initial sync. Orders keep their full-text rows (store/fts.py) in step in the same
transaction. Plain sqlite3 statements are used rather than sqlite_utils' upserts: the FTS
bookkeeping needs the old row anyway, and a quick sync after each command should not pay
sqlite_utils' import.

`prepare_page` does the database-free part of a page (order rows, search text) ahead, so
the pull engine can run it in another thread while SQLite writes the page before.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jiedan_cli.domain.timefmt import rfc3339, utcnow
from jiedan_cli.store.fts import index_text
from jiedan_cli.store.migrations import PAYLOAD_TABLES
from jiedan_cli.store.transaction import transaction

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
    conn: sqlite3.Connection,
    page: Mapping[str, Any] | PreparedPage,
    *,
    now: datetime | None = None,
) -> PageResult:
    """Apply one pull page {changes, next_cursor, has_more, last_seq, epoch, reset} (or the
    same page from `prepare_page`) in one transaction.

    With `reset` (the server's epoch changed: a restored or replaced database) the server
    copy and the cursor are cleared first; the outbox is kept, so pending operations are
    pushed again — see outbox.resequence."""
    with transaction(conn):
        return write_page(conn, page, now=now)


def write_page(
    conn: sqlite3.Connection,
    page: Mapping[str, Any] | PreparedPage,
    *,
    now: datetime | None = None,
) -> PageResult:
    """`apply_page` inside the caller's transaction."""
    prepared = page if isinstance(page, PreparedPage) else PreparedPage(page)
    body = prepared.page
    reset = bool(body.get("reset"))
    if reset:
        clear_server_copy(conn)
    applied = apply_changes(conn, body.get("changes") or (), prepared.orders)
    conn.execute(
        "UPDATE sync_state SET cursor = ?, epoch = coalesce(?, epoch),"
        " last_seq = coalesce(?, last_seq), last_sync_at = ? WHERE id = 1",
        (
            body.get("next_cursor"),
            body.get("epoch"),
            body.get("last_seq"),
            rfc3339(now or utcnow()),
        ),
    )
    return PageResult(applied, bool(body.get("has_more")), reset, body.get("next_cursor"))


@dataclass
class OrderRow:
    """An order put made ready to write: its orders row (values in _ORDER_COLUMNS order), its
    tags, and the (title, body) texts it is indexed under once computed."""

    values: tuple[Any, ...]
    tags: list[str]
    text: tuple[str, str] | None = None
    text_json: str | None = None

    def index_text(self) -> tuple[str, str]:
        if self.text is None:
            _id, title, description, category = self.values[:4]
            self.text = order_fts_text(title, description, self.tags, category)
        return self.text

    def indexed_json(self) -> str:
        """`index_text` as a JSON array (made ahead by prepare_page): see _index_orders."""
        if self.text_json is None:
            self.text_json = _dumps(self.index_text())
        return self.text_json


@dataclass(frozen=True)
class PreparedPage:
    """A pull page with the order rows of its order puts made ahead (by change index)."""

    page: Mapping[str, Any]
    orders: dict[int, OrderRow] = field(default_factory=dict)


PREPARE_SLICE = 200  # orders between two calls of prepare_page's `pause`


def prepare_page(
    page: Mapping[str, Any], *, pause: Callable[[], object] | None = None
) -> PreparedPage:
    """The part of applying `page` that needs no database and most of the CPU: each order
    put's row, tags and search text (tokenising is the larger half of a large initial sync).
    Pure, so the pull engine runs it in its fetch thread for the next page while the current
    one is written; `pause` is called every PREPARE_SLICE orders (the engine waits there
    while the writer needs the GIL).

    A change this cannot make ready is left to `apply_changes`, which refuses it exactly
    as it would have without preparing."""
    orders: dict[int, OrderRow] = {}
    for at, change in enumerate(page.get("changes") or ()):
        try:
            if change["entity"] != "order" or change["op"] != "put":
                continue
            row = _order_row(change["data"])
            row.indexed_json()
        except (KeyError, TypeError, AttributeError, ValueError):
            continue
        orders[at] = row
        if pause is not None and len(orders) % PREPARE_SLICE == 0:
            pause()
    return PreparedPage(page, orders)


def apply_changes(
    conn: sqlite3.Connection,
    changes: Iterable[Mapping[str, Any]],
    prepared: Mapping[int, OrderRow] | None = None,
) -> int:
    """Write changes in order inside the caller's transaction; returns how many.
    `prepared`: order rows already made for some of them (by index; see prepare_page).

    Consecutive puts of one entity are written together (executemany): the same final state
    as one by one, at a fraction of the per-statement cost of a large initial sync."""
    prepared = prepared or {}
    applied = 0
    run: list[Any] = []  # OrderRows for orders, payloads for the others
    run_entity = None
    for at, change in enumerate(changes):
        entity, op, entity_id = change["entity"], change["op"], str(change["id"])
        if op not in ("put", "delete"):
            raise ValueError(f"change {change.get('seq')}: unknown op {op!r}")
        applied += 1
        if op == "put" and entity == "order":
            item: Any = prepared.get(at) or _order_row(change["data"])
        elif op == "put":
            item = change["data"]
        if op == "put" and entity == run_entity:
            run.append(item)
            continue
        _put_run(conn, run_entity, run)
        run, run_entity = [], None
        if entity != "order" and entity not in ENTITY_TABLES:
            _keep_extra(conn, entity, entity_id, change.get("data") if op == "put" else None)
        elif op == "put":
            run, run_entity = [item], entity
        elif entity == "order":
            delete_order(conn, entity_id)
        else:
            conn.execute(f"DELETE FROM {ENTITY_TABLES[entity]} WHERE id = ?", (entity_id,))
    _put_run(conn, run_entity, run)
    return applied


def _keep_extra(conn: sqlite3.Connection, entity: str, entity_id: str, data: Any) -> None:
    """An entity this version has no table for: kept as pulled (None deletes it). A decided
    `hold` of one of our operations settles it in the outbox (store/outbox.settle_held)."""
    if entity == "hold" and isinstance(data, dict) and data.get("op_id"):
        from jiedan_cli.store.outbox import settle_held

        reason = data.get("decision_reason") or data.get("reason")
        settle_held(conn, str(data["op_id"]), str(data.get("status")), reason)
    if data is None:
        conn.execute("DELETE FROM extra_entities WHERE entity = ? AND id = ?", (entity, entity_id))
        return
    conn.execute(
        "INSERT INTO extra_entities (entity, id, data) VALUES (?, ?, ?)"
        " ON CONFLICT(entity, id) DO UPDATE SET data = excluded.data",
        (entity, entity_id, _dumps(data)),
    )


def _put_run(conn: sqlite3.Connection, entity: str | None, run: list[Any]) -> None:
    if entity == "order":
        _put_order_rows(conn, run)
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

_CHUNK = 500  # ids per IN (…) lookup
Indexed = tuple[int, tuple[str, str], list[str]]  # num, (title, body) index texts, tags
# Runs SQLite's part of a batch that holds no GIL — the full-text rows of a page in one
# statement — and lets other threads run meanwhile: the pull (sync/pull.py) lets its worker
# prepare the next page while the rows of this one are tokenised.
sqlite_at_work: ContextVar[Callable[[], AbstractContextManager[object]]] = ContextVar(
    "sqlite_at_work", default=nullcontext
)


def order_fts_text(title: str, description: str, tags: list[str], category: str) -> tuple[str, str]:
    """The (title, body) texts an order is indexed under. The same function must produce the
    text for deleting an index entry, so it is the one place this is decided."""
    body = " ".join([description or "", *tags, category or ""])
    return index_text(title or ""), index_text(body)


def _order_row(data: Mapping[str, Any]) -> OrderRow:
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
    return OrderRow(values, tags)


def _put_order_rows(conn: sqlite3.Connection, batch: list[OrderRow]) -> None:
    """Insert or update orders (the last put of an id wins, as one by one), keeping their
    tags and full-text rows in step."""
    rows = {row.values[0]: row for row in batch}
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
    _update_orders(conn, [(old[oid], row) for oid, row in rows.items() if oid in old])


def _insert_orders(conn: sqlite3.Connection, new: list[OrderRow]) -> None:
    if not new:
        return
    # We hold the write lock, so numbering from max(num) cannot collide; a reused num of a
    # deleted order is safe, its index entry left with it.
    first = conn.execute("SELECT coalesce(max(num), 0) + 1 FROM orders").fetchone()[0]
    marks = ", ".join("?" * (len(new[0].values) + 1))
    conn.executemany(
        f"INSERT INTO orders (num, {_ORDER_COLUMNS}) VALUES ({marks})",
        [(first + k, *row.values) for k, row in enumerate(new)],
    )
    _index_orders(conn, [(first + k, row, row.tags) for k, row in enumerate(new)])


def _update_orders(conn: sqlite3.Connection, changed: list[tuple[sqlite3.Row, OrderRow]]) -> None:
    if not changed:
        return
    conn.executemany(
        f"UPDATE orders SET {_ORDER_UPDATE} WHERE num = ?",
        [(*row.values[1:], old["num"]) for old, row in changed],
    )
    # Most updates (bid_count, status) leave the text alone: the index is not touched then.
    moved = [
        (old, row)
        for old, row in changed
        if (old["title"], old["description"], json.loads(old["tags"]), old["category"])
        != (row.values[1], row.values[2], row.tags, row.values[3])
    ]
    _unindex_orders(conn, [_indexed(old) for old, _row in moved])
    _index_orders(conn, [(old["num"], row, row.tags) for old, row in moved])


def _indexed(old: sqlite3.Row) -> Indexed:
    """What a stored order was indexed under, to take it out of the index again."""
    tags = json.loads(old["tags"] or "[]")
    text = order_fts_text(old["title"], old["description"], tags, old["category"])
    return old["num"], text, tags


def delete_order(conn: sqlite3.Connection, order_id: str) -> None:
    old = conn.execute(
        "SELECT num, title, description, tags, category FROM orders WHERE id = ?", (order_id,)
    ).fetchone()
    if old is None:
        return
    _unindex_orders(conn, [_indexed(old)])
    conn.execute("DELETE FROM orders WHERE num = ?", (old["num"],))


def _index_orders(conn: sqlite3.Connection, orders: list[tuple[int, OrderRow, list[str]]]) -> None:
    """The orders' full-text rows in one statement: SQLite reads them from one JSON array of
    [num, title text, body text] and tokenises them all without the GIL (sqlite_at_work);
    bound row by row, the GIL went back and forth between each row and the pull's worker."""
    if not orders:
        return
    rows = ",".join(f"[{num},{row.indexed_json()[1:]}" for num, row, _tags in orders)
    with sqlite_at_work.get()():
        conn.execute(
            "INSERT INTO orders_fts (rowid, title, body)"
            " SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)",
            (f"[{rows}]",),
        )
    conn.executemany(
        "INSERT OR IGNORE INTO order_tags (tag, order_num) VALUES (?, ?)",
        [(tag.casefold(), num) for num, _text, tags in orders for tag in tags],
    )


def _unindex_orders(conn: sqlite3.Connection, orders: list[Indexed]) -> None:
    # A contentless FTS5 table forgets a row only when given the exact text it indexed.
    conn.executemany(
        "INSERT INTO orders_fts (orders_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)",
        [(num, title, body) for num, (title, body), _tags in orders],
    )
    conn.executemany(
        "DELETE FROM order_tags WHERE tag = ? AND order_num = ?",
        [(tag.casefold(), num) for num, _text, tags in orders for tag in tags],
    )


def clear_server_copy(conn: sqlite3.Connection) -> None:
    """Forget everything pulled (the outbox stays): the start of a rebuild after `reset`."""
    with transaction(conn):
        for table in SERVER_COPY_TABLES:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("INSERT INTO orders_fts (orders_fts) VALUES ('delete-all')")
        conn.execute("UPDATE sync_state SET cursor = NULL, epoch = NULL WHERE id = 1")
