"""How a seeded marketplace reaches the database: bulk inserts straight to the driver, and the
change-log entries the live flow would have appended, with the same audiences (server/seed.py
draws the rows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from jiedan_cli.server.db.tables import (
    bids,
    change_audience,
    change_log,
    milestones,
    orders,
    reviews,
)
from jiedan_cli.server.db.types import UTCDateTime

# the live services' representations, so a seeded row syncs exactly like a real one
from jiedan_cli.server.services.bids import bid_view
from jiedan_cli.server.services.changes import CURRENT_TXID
from jiedan_cli.server.services.milestones import milestone_view
from jiedan_cli.server.services.order_views import closed_view, order_view, readers_of
from jiedan_cli.server.services.reviews import review_view

CHUNK = 5000  # rows per executemany


@dataclass
class Batch:
    """Rows for one transaction, and the change-log entries they need."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    bids: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)


def _as_row(values: dict[str, Any]) -> Any:
    """A stand-in for a fetched Row: the views read attributes only."""
    return SimpleNamespace(**values)


def slices(rows: Sequence[dict[str, Any]], size: int = CHUNK) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _sqlite_time(value: datetime | None) -> str | None:
    """What UTCDateTime + SQLite's DATETIME store, without their two Python-level steps."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _bind_processor(column: Any, dialect: Any) -> Any:
    if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime):
        return _sqlite_time
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def insert_rows(conn: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """A bulk INSERT sent straight to the driver's executemany: the statement is compiled
    once and the column types' bind processors applied here, which is several times faster
    than letting SQLAlchemy build parameters row by row (100k orders in under a minute).
    Every row must have the same keys."""
    if not rows:
        return
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(rows[0]))
    names = list(compiled.positiontup or []) if compiled.positional else list(rows[0])
    processors = [(name, _bind_processor(table.c[name], dialect)) for name in names]

    def converted(row: dict[str, Any]) -> Any:
        values = [row[name] if fn is None else fn(row[name]) for name, fn in processors]
        return tuple(values) if compiled.positional else dict(zip(names, values, strict=True))

    for part in slices(rows):
        conn.exec_driver_sql(str(compiled), [converted(row) for row in part])


def _current_txid(conn: Connection) -> int:
    """This transaction's id on PostgreSQL, the rows' place in pull order
    (services/changes.py); 0 on SQLite, whose writers are serialised."""
    if conn.dialect.name != "postgresql":
        return 0
    return int(conn.scalar(select(CURRENT_TXID)) or 0)


def _reserve_seqs(conn: Connection, count: int) -> list[int]:
    """`count` change-log seqs, ascending (on SQLite the write lock keeps other writers out
    meanwhile; on PostgreSQL the sequence hands out unique ones)."""
    if conn.dialect.name == "postgresql":
        drawn = conn.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('change_log', 'seq')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        ).scalars()
        return sorted(int(seq) for seq in drawn)
    last = int(conn.scalar(select(func.coalesce(func.max(change_log.c.seq), 0))) or 0)
    return list(range(last + 1, last + count + 1))


def _change(
    entity: str, row: dict[str, Any], payload: dict[str, Any], now: datetime, *, public: bool
) -> dict[str, Any]:
    return {
        "seq": 0,
        "txid": 0,
        "entity": entity,
        "entity_id": row["id"],
        "op": "put",
        "payload": payload,
        "public": public,
        "created_at": now,
    }


def _changes(batch: Batch, now: datetime) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    """The change-log entries of a batch with their audiences (empty: public), in the
    order the live flow would append them: orders, then bids, milestones and reviews."""
    bidders: defaultdict[str, list[str]] = defaultdict(list)
    for b in batch.bids:
        bidders[b["order_id"]].append(b["freelancer_id"])
    entries: list[tuple[dict[str, Any], tuple[str, ...]]] = []
    for o in batch.orders:
        # Open orders are public; any other order only its parties see, and it is closed to
        # the bidders who lost it (order_views.record_order).
        row = _as_row(o)
        if o["status"] == "open":
            entries.append((_change("order", o, order_view(row), now, public=True), ()))
            continue
        followers, closed_to = readers_of(o["client_id"], o["freelancer_id"], bidders[o["id"]])
        followed = _change("order", o, order_view(row), now, public=False)
        entries.append((followed, tuple(followers)))
        if closed_to:
            closed = _change("order", o, closed_view(row), now, public=False)
            entries.append((closed, tuple(closed_to)))
    parties = {o["id"]: (o["client_id"], o["freelancer_id"]) for o in batch.orders}
    for b in batch.bids:
        view = bid_view(_as_row(b))
        readers = (b["freelancer_id"], parties[b["order_id"]][0])
        entries.append((_change("bid", b, view, now, public=False), readers))
    for m in batch.milestones:
        view = milestone_view(_as_row(m))
        entries.append((_change("milestone", m, view, now, public=False), parties[m["order_id"]]))
    for r in batch.reviews:
        view = review_view(_as_row(r))
        public = r["revealed_at"] is not None  # a blind review: its author only
        entries.append(
            (_change("review", r, view, now, public=public), () if public else (r["author_id"],))
        )
    return entries


@contextmanager
def _big_cache(conn: Connection) -> Iterator[None]:
    """SQLite's default 2 MB page cache makes index inserts thrash on a large load."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB, only while seeding
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")


def write_batch(conn: Connection, batch: Batch, now: datetime) -> None:
    with _big_cache(conn):
        _write_rows(conn, batch, now)


def _write_rows(conn: Connection, batch: Batch, now: datetime) -> None:
    entries = _changes(batch, now)
    insert_rows(conn, orders, batch.orders)
    insert_rows(conn, bids, batch.bids)
    insert_rows(conn, milestones, batch.milestones)
    insert_rows(conn, reviews, batch.reviews)
    txid = _current_txid(conn)
    audience: list[dict[str, Any]] = []
    for seq, (change, readers) in zip(_reserve_seqs(conn, len(entries)), entries, strict=True):
        change["seq"], change["txid"] = seq, txid
        audience += [{"user_id": user, "seq": seq, "txid": txid} for user in sorted(set(readers))]
    insert_rows(conn, change_log, [change for change, _ in entries])
    # in key order: B-tree inserts stay local, much faster on a large table
    insert_rows(conn, change_audience, sorted(audience, key=lambda a: (a["user_id"], a["seq"])))
