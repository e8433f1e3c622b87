"""The replica's schema, as an ordered list of small named migrations (the llm model).

Each migration runs in its own transaction together with its row in `_migrations`, so a
crash leaves it wholly applied or not at all, and two processes opening a fresh database at
once apply it once. Never edit a released migration: append `m00N_…` instead.

Fast path: when everything is applied, `migrate` costs one query and imports nothing; only a
pending migration imports sqlite_utils.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from jiedan_cli.store.transaction import transaction

if TYPE_CHECKING:
    from sqlite_utils import Database

# Server-copy tables that keep the payload as JSON plus the columns the queries filter on.
# (orders has its own shape; see m001_initial.)
PAYLOAD_TABLES: dict[str, dict[str, type]] = {
    "bids": {"order_id": str, "freelancer_id": str, "status": str, "created_at": str},
    "milestones": {"order_id": str, "created_at": str},
    "deliveries": {"order_id": str, "created_at": str},
    "messages": {"order_id": str, "sender_id": str, "recipient_id": str, "created_at": str},
    "reviews": {"order_id": str, "created_at": str},
    "ledger_entries": {"order_id": str, "kind": str, "created_at": str},
    "points_entries": {"order_id": str, "kind": str, "created_at": str},
    "profiles": {},
    "disputes": {"order_id": str, "created_at": str},
}


def m001_initial(db: Database) -> None:
    _create_orders(db)
    for name, columns in PAYLOAD_TABLES.items():
        table = db.table(name)
        table.create({"id": str, **columns, "data": str}, pk="id", not_null={"data"})
        if "order_id" in columns:
            table.create_index(["order_id"])
    db.table("bids").create_index(["freelancer_id", "order_id"])
    db.table("messages").create_index(["order_id", "created_at"])
    db.table("ledger_entries").create_index(["created_at"])
    db.table("points_entries").create_index(["created_at"])
    # Entities this version does not know (order_event, user, payout …), kept as pulled so a
    # later version's migration can move them into a table of their own without a re-pull.
    db.table("extra_entities").create(
        {"entity": str, "id": str, "data": str}, pk=("entity", "id"), not_null={"data"}
    )
    _create_sync_state(db)
    _create_outbox(db)


def _create_orders(db: Database) -> None:
    # `num` is an explicit INTEGER PRIMARY KEY so the rowids the FTS index points at survive
    # VACUUM (implicit rowids of a table keyed by text may be renumbered).
    orders = db.table("orders")
    orders.create(
        {
            "num": int,
            "id": str,
            "title": str,
            "description": str,
            "category": str,
            "tags": str,
            "budget_min_fen": int,
            "budget_max_fen": int,
            "status": str,
            "client_id": str,
            "freelancer_id": str,
            "created_at": str,
            "updated_at": str,
            "deadline": str,
            "lat": float,
            "lon": float,
            "data": str,
        },
        pk="num",
        not_null={"id", "status", "created_at", "data"},
    )
    orders.create_index(["id"], unique=True)
    orders.create_index(["status", "created_at", "id"], index_name="ix_orders_status_created")
    orders.create_index(
        ["category", "status", "created_at", "id"], index_name="ix_orders_category_status"
    )
    orders.create_index(["client_id"])
    orders.create_index(["freelancer_id"])
    db.table("order_tags").create({"tag": str, "order_num": int}, pk=("tag", "order_num"))
    # Contentless: the index holds only tokens (store/fts.py); rows are read from `orders`.
    db.execute(
        "CREATE VIRTUAL TABLE orders_fts USING fts5("
        "title, body, content='', tokenize='unicode61 remove_diacritics 0')"
    )


def _create_sync_state(db: Database) -> None:
    import uuid

    db.execute(
        "CREATE TABLE sync_state ("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " client_id TEXT NOT NULL,"  # one per install: the server keys push seqs by it
        " user_id TEXT,"
        " next_seq INTEGER NOT NULL DEFAULT 1,"
        " cursor TEXT, epoch TEXT, last_seq INTEGER NOT NULL DEFAULT 0, last_sync_at TEXT)"
    )
    db.execute("INSERT INTO sync_state (id, client_id) VALUES (1, ?)", [str(uuid.uuid4())])


def _create_outbox(db: Database) -> None:
    outbox = db.table("outbox")
    outbox.create(
        {
            "seq": int,
            "op_id": str,
            "intent": str,
            "args": str,
            "created_at": str,
            "state": str,  # pending | rejected | done
            "reject_code": str,
            "reject_reason": str,
            "object_kind": str,
            "object_id": str,
            "result": str,  # the server's answer, once done
        },
        pk="seq",
        not_null={"op_id", "intent", "args", "created_at", "state"},
        defaults={"state": "pending"},
    )
    outbox.create_index(["op_id"], unique=True)
    outbox.create_index(["state", "object_kind"])
    outbox.create_index(["object_kind", "object_id"])


def m002_profile_cache(db: Database) -> None:
    """Public profiles fetched on demand (a client's name and rating on an order, a bidder's
    on the client's screen): the change log sends a profile to its owner only."""
    db.table("profile_cache").create(
        {"id": str, "data": str, "fetched_at": str}, pk="id", not_null={"data", "fetched_at"}
    )


def m003_watches(db: Database) -> None:
    """Saved searches (`jiedan watch`), and the orders each has reported already."""
    db.table("watches").create(
        {"name": str, "query": str, "category": str, "tag": str, "budget_min_fen": int,
         "created_at": str},
        pk="name",
        not_null={"query", "created_at"},
    )  # fmt: skip
    db.table("watch_seen").create(
        {"name": str, "order_id": str}, pk=("name", "order_id"), not_null={"name", "order_id"}
    )


def m004_uploads(db: Database) -> None:
    """Delivered files whose content is still to be sent (store/uploads.py): where the file
    is on this machine and how much of it the server has confirmed."""
    db.table("uploads").create(
        {"delivery_id": str, "file_index": int, "path": str, "name": str, "size": int,
         "sha256": str, "offset": int, "state": str, "error": str},
        pk=("delivery_id", "file_index"),
        not_null={"path", "name", "size", "sha256", "offset", "state"},
        defaults={"offset": 0, "state": "pending"},
    )  # fmt: skip
    db.table("uploads").create_index(["state"])


def m005_search_folding(db: Database) -> None:
    """Search that understands (store/search_plan.py): the index is rebuilt with traditional
    characters folded to simplified ones (store/fts.py), and its words are listed for the
    spelling corrections of store/typos.py (an fts5vocab table: nothing to keep in step)."""
    conn = db.conn
    conn.execute("INSERT INTO orders_fts (orders_fts) VALUES ('delete-all')")
    _index_every_order(conn)
    conn.execute("CREATE VIRTUAL TABLE orders_fts_vocab USING fts5vocab(orders_fts, row)")


def m006_index_split_at_spaces(db: Database) -> None:
    """The index tokenises with FTS5's `ascii` tokenizer instead of unicode61: store/fts.py
    has already split, folded and joined the text with spaces, and `ascii` only splits it
    there again, where unicode61 looked every character up in its Unicode tables — a quarter
    of FTS5's cost of indexing an order, the larger part of a large initial sync (P3). Same
    tokens for everything store/fts.py emits (its words hold no ASCII separator); rebuilt
    from the orders."""
    conn = db.conn
    conn.execute("DROP TABLE orders_fts_vocab")
    conn.execute("DROP TABLE orders_fts")
    conn.execute(
        "CREATE VIRTUAL TABLE orders_fts USING fts5(title, body, content='', tokenize='ascii')"
    )
    _index_every_order(conn)
    conn.execute("CREATE VIRTUAL TABLE orders_fts_vocab USING fts5vocab(orders_fts, row)")


def m007_outbox_dismissed(db: Database) -> None:
    """A refused operation the user has read and put away (`jiedan sync dismiss`, `d` in the
    dashboard's list of refusals) keeps its row and its verdict — the bid stays rejected —
    and leaves `sync status` and the dashboard's count of refusals."""
    db.conn.execute("ALTER TABLE outbox ADD COLUMN dismissed_at TEXT")


def _index_every_order(conn: sqlite3.Connection) -> None:
    from jiedan_cli.store.apply import order_fts_text

    rows = conn.execute("SELECT num, title, description, tags, category FROM orders")
    conn.executemany(
        "INSERT INTO orders_fts (rowid, title, body) VALUES (?, ?, ?)",
        (
            (num, *order_fts_text(title, description, json.loads(tags or "[]"), category))
            for num, title, description, tags, category in rows.fetchall()
        ),
    )


Migration = Callable[["Database"], None]
MIGRATIONS: list[Migration] = [
    m001_initial,
    m002_profile_cache,
    m003_watches,
    m004_uploads,
    m005_search_folding,
    m006_index_split_at_spaces,
    m007_outbox_dismissed,
]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every pending migration; return the names applied now."""
    try:
        applied = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    except sqlite3.OperationalError:  # a new database: no _migrations table yet
        applied = set()
    pending = [m for m in MIGRATIONS if m.__name__ not in applied]
    return _apply(conn, pending) if pending else []


def _apply(conn: sqlite3.Connection, pending: list[Migration]) -> list[str]:
    from datetime import UTC, datetime

    import sqlite_utils

    db = sqlite_utils.Database(conn, execute_plugins=False)
    done: list[str] = []
    for migration in pending:
        name = migration.__name__
        with transaction(conn):
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations"
                " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                continue  # another process applied it while we waited for the lock
            migration(db)
            applied_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, applied_at))
        done.append(name)
    return done
