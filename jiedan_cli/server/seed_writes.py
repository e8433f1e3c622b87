"""How a seeded marketplace reaches the database: bulk inserts straight to the driver
(db/bulk.py), and the change-log entries the live flow would have appended, through the same
feeds (server/seed.py draws the rows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from jiedan_cli.server.db.bulk import insert_rows
from jiedan_cli.server.db.tables import bids, milestones, orders, reviews
from jiedan_cli.server.services.changes import BatchContext, Kind, append_bulk


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


def publish_batch(conn: Connection, batch: Batch, now: datetime) -> int:
    """The change-log entries of a batch, through the live feeds (services/changes.py), in
    the order the live flow would append them: orders, then bids, milestones and reviews.
    Each row is its whole history at once: a non-open order is closed to the bidders who
    lost it as its award would have done (order_views.record_order)."""
    order_rows = [_as_row(o) for o in batch.orders]
    bidders: defaultdict[str, list[str]] = defaultdict(list)
    for b in batch.bids:
        bidders[b["order_id"]].append(b["freelancer_id"])
    context = BatchContext({o.id: o for o in order_rows}, dict(bidders))
    feeds = [
        (Kind.ORDER, order_rows),
        (Kind.BID, [_as_row(b) for b in batch.bids]),
        (Kind.MILESTONE, [_as_row(m) for m in batch.milestones]),
        (Kind.REVIEW, [_as_row(r) for r in batch.reviews]),
    ]
    return append_bulk(conn, feeds, context=context, now=now)


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
    insert_rows(conn, orders, batch.orders)
    insert_rows(conn, bids, batch.bids)
    insert_rows(conn, milestones, batch.milestones)
    insert_rows(conn, reviews, batch.reviews)
    publish_batch(conn, batch, now)
