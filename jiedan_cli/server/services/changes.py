"""The change log every write appends to, in its own transaction; sync pulls read it.

What is appended goes through one registry: each kind of entity registers, once and in the
module that owns it, its feed — its view (row → payload) and its audience (row → everyone,
or the users who may see it). `publish(conn, kind, row)` writes that view to that audience;
the seeder's bulk path (`append_bulk`) goes through the same feeds.

Lock order (docs/architecture.md): a write locks the order row, then its milestones, then
ledger accounts sorted, the shared ones last — all before its first change-log append. Here
that is kept in one place: `publish` only buffers, and the buffer is appended last, just
before the commit (`db.engine.deferred`); a savepoint that rolls back drops what it published.

A pull must never skip a committed change (sync.md). On PostgreSQL a sequence value is taken
at insert time, not at commit, so a transaction may take seq 7 and commit after seq 8: a
client pulling in between would pass 7 for ever. So each row also carries the id of the
transaction that wrote it (`txid`, `pg_current_xact_id()`), and a pull reads in (txid, seq)
order only below a safe horizon — the oldest transaction still running anywhere
(`pg_snapshot_xmin`, services/sync_pull.py). Every transaction below it has ended, so what is
visible there is final; any transaction still to commit has an id at or above it, so its
rows land after every cursor handed out. Writers run side by side: nothing serialises them
(an advisory lock held from the first append to commit did, and on two workers 17–23 of 32
backends queued on it). On SQLite writers are serialised anyway (BEGIN IMMEDIATE): txid is 0
and seq order is commit order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib import import_module
from operator import attrgetter
from typing import Any, Final, Protocol

from sqlalchemy import (
    BigInteger,
    Connection,
    cast,
    func,
    insert,
    literal_column,
    select,
    text,
)

from jiedan_cli.server.db.bulk import insert_rows
from jiedan_cli.server.db.engine import deferred
from jiedan_cli.server.db.tables import bids, change_audience, change_log, orders, server_meta

# The id of the transaction writing (xid8, 64 bits, never wraps), as a BIGINT.
CURRENT_TXID = cast(literal_column("pg_current_xact_id()::text"), BigInteger)


class Kind(StrEnum):
    """The entities the change log carries (a change's `entity`)."""

    ORDER = "order"
    ORDER_EVENT = "order_event"
    BID = "bid"
    MILESTONE = "milestone"
    MESSAGE = "message"
    DELIVERY = "delivery"
    REVIEW = "review"
    DISPUTE = "dispute"
    USER = "user"
    PROFILE = "profile"
    LEDGER_ENTRY = "ledger_entry"
    PAYOUT = "payout"
    POINTS_ENTRY = "points_entry"
    HOLD = "hold"
    CAMPAIGN = "campaign"
    FIRST_ORDER_COUPON = "first_order_coupon"


class Public:
    def __repr__(self) -> str:
        return "PUBLIC"


PUBLIC: Final = Public()
"""An audience: everyone (the change is public)."""

Audience = Public | Sequence[str | None]


class Context(Protocol):
    """What an audience may need besides the row: the order it belongs to, its bidders."""

    def order(self, order_id: str) -> Any: ...

    def bidders(self, order_id: str) -> Sequence[str]: ...


View = Callable[[Any], dict[str, Any]]
AudienceOf = Callable[[Any, Context], Audience]


@dataclass(frozen=True)
class RowFeed:
    """How a kind of row reaches replicas: its view for its audience; `once`: further
    (view, audience) pairs sent only by the change that first gives the row its shape
    (`publish(..., once=True)`; the seeder's rows are their whole history, so always)."""

    view: View
    audience: AudienceOf
    key: Callable[[Any], str] = attrgetter("id")
    once: tuple[tuple[View, AudienceOf], ...] = ()


@dataclass(frozen=True)
class Entry:
    """One change to append: a put of `payload` (or a delete) for `audience`. `kind`: a
    Kind (the log's own tests append entities of their own)."""

    kind: str
    entity_id: str
    op: str
    payload: dict[str, Any] | None
    audience: Audience


FEEDS: dict[Kind, RowFeed] = {}
# The module that owns each kind and registers its feed (imported on first use).
OWNERS: dict[Kind, str] = {
    Kind.ORDER: "order_views",
    Kind.ORDER_EVENT: "orders",
    Kind.BID: "bids",
    Kind.MILESTONE: "milestones",
    Kind.MESSAGE: "messages",
    Kind.DELIVERY: "deliveries",
    Kind.REVIEW: "reviews",
    Kind.DISPUTE: "escrow",
    Kind.USER: "users",
    Kind.PROFILE: "profiles",
    Kind.LEDGER_ENTRY: "ledger",
    Kind.PAYOUT: "earnings",
    Kind.POINTS_ENTRY: "points",
    Kind.HOLD: "holds",
    Kind.CAMPAIGN: "campaigns",
    Kind.FIRST_ORDER_COUPON: "first_order_coupons",
}


def register(
    kind: Kind,
    *,
    view: View,
    audience: AudienceOf,
    key: Callable[[Any], str] = attrgetter("id"),
    once: tuple[tuple[View, AudienceOf], ...] = (),
) -> RowFeed:
    """Register `kind`'s feed (once, in the module that owns the entity)."""
    if kind in FEEDS:
        raise RuntimeError(f"the {kind} feed is registered already")
    feed = FEEDS[kind] = RowFeed(view, audience, key, once)
    return feed


def feed(kind: Kind) -> RowFeed:
    """`kind`'s feed, its owner imported if it was not yet."""
    if kind not in FEEDS:
        import_module(f"jiedan_cli.server.services.{OWNERS[kind]}")
    return FEEDS[kind]


def entries(kind: Kind, row: Any, context: Context, *, once: bool = False) -> list[Entry]:
    """What publishing `row` appends: its view for its audience, then (`once`) the rest."""
    of = feed(kind)
    key = of.key(row)
    found = [Entry(kind, key, "put", of.view(row), of.audience(row, context))]
    if once:
        for view, audience in of.once:
            readers = audience(row, context)
            if readers:
                found.append(Entry(kind, key, "put", view(row), readers))
    return found


def order_parties(context: Context, order_id: str) -> tuple[str, str | None]:
    """(client, freelancer) of an order: the audience of what belongs to it."""
    order = context.order(order_id)
    return order.client_id, order.freelancer_id


class LiveContext:
    """A write's context: the order the caller holds (if it is the one asked for), else read."""

    def __init__(self, conn: Connection, order: Any = None) -> None:
        self.conn, self.held = conn, order
        self._bidders: dict[str, list[str]] = {}

    def order(self, order_id: str) -> Any:
        if self.held is not None and self.held.id == order_id:
            return self.held
        self.held = self.conn.execute(select(orders).where(orders.c.id == order_id)).one()
        return self.held

    def bidders(self, order_id: str) -> Sequence[str]:
        if order_id not in self._bidders:
            query = select(bids.c.freelancer_id).where(bids.c.order_id == order_id)
            self._bidders[order_id] = list(self.conn.scalars(query))
        return self._bidders[order_id]


@dataclass
class BatchContext:
    """The seeder's context: the batch's orders and bidders, in memory."""

    orders: dict[str, Any]
    bidders_of: dict[str, list[str]]

    def order(self, order_id: str) -> Any:
        return self.orders[order_id]

    def bidders(self, order_id: str) -> Sequence[str]:
        return self.bidders_of.get(order_id, [])


# ---- the live path: buffered, appended just before the commit -----------------------------


def publish(
    conn: Connection,
    kind: Kind,
    row: Any,
    *,
    now: datetime,
    order: Any = None,
    once: bool = False,
) -> None:
    """Publish `row` (as its write left it) through `kind`'s feed. `order`: the order row the
    caller holds, when the audience is its parties (read otherwise)."""
    _buffer(conn, entries(kind, row, LiveContext(conn, order), once=once), now)


def publish_deletion(
    conn: Connection, kind: Kind, entity_id: str, *, audience: Audience, now: datetime
) -> None:
    """Tell `audience` that the entity is gone (from their view, or for good)."""
    _buffer(conn, [Entry(kind, entity_id, "delete", None, audience)], now)


def _buffer(conn: Connection, found: list[Entry], now: datetime) -> None:
    pending = deferred(conn, "change_log", _append_pending)
    if pending is None:  # not a Database.write transaction (a script's): at once
        _append_pending(conn, [(entry, now) for entry in found])
    else:
        pending.extend((entry, now) for entry in found)


def _append_pending(conn: Connection, pending: list[tuple[Entry, datetime]]) -> None:
    _append_entries(conn, pending)


def _append_entries(conn: Connection, pending: list[tuple[Entry, datetime]]) -> list[int]:
    """Append a transaction's buffered entries, in the order published: one INSERT for the
    changes (seqs ascending in that order) and one for their audiences — a push group of 50
    bids sends 2 statements, not 150. Their seqs."""
    if not pending:
        return []
    changes = [
        {
            "entity": entry.kind,
            "entity_id": entry.entity_id,
            "op": entry.op,
            "payload": entry.payload,
            "public": entry.audience is PUBLIC,
            "created_at": now,
        }
        for entry, now in pending
    ]
    appended = _append_changes(conn, changes)
    audience: list[dict[str, Any]] = []
    for (entry, _now), (seq, txid) in zip(pending, appended, strict=True):
        if not isinstance(entry.audience, Public):
            readers = sorted({u for u in entry.audience if u})
            audience += [{"user_id": user, "seq": seq, "txid": txid} for user in readers]
    if audience:
        conn.execute(_ADDRESS, audience)
    return [seq for seq, _txid in appended]


def _append_changes(conn: Connection, changes: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """INSERT `changes` in as few statements as the driver allows (SQLAlchemy's "insert many
    values": one for a push group) and give each one's (seq, txid), in the order given.
    PostgreSQL: SQLAlchemy's ordered form (INSERT … SELECT … ORDER BY, the sequence drawn in
    that order) answers in parameter order. SQLite: rows are inserted in VALUES order, each
    taking a rowid above every one before it (the write lock keeps others out), so the seqs
    sorted are the changes' in order."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_APPEND_MANY_PG, changes).all()
        return [(int(seq), int(txid)) for seq, txid in rows]
    seqs = sorted(int(seq) for seq in conn.execute(_APPEND_MANY, changes).scalars())
    return [(seq, 0) for seq in seqs]


def record_change(
    conn: Connection,
    entity: str,
    entity_id: str,
    payload: dict[str, Any] | None,
    *,
    now: datetime,
    public: bool = False,
    audience: Iterable[str | None] = (),
    op: str = "put",
) -> int:
    """Append one change now, visible to everyone (`public`) or to the users in `audience`
    (the log's own tests; a write's changes go through `publish`): its seq."""
    readers: Audience = PUBLIC if public else tuple(audience)
    entry = Entry(entity, entity_id, op, payload, readers)
    return _append_entries(conn, [(entry, now)])[0]


# Built once: every write appends, so building them per call was a good part of a write's CPU.
_ADDRESS = insert(change_audience)
_APPEND_MANY = insert(change_log).returning(change_log.c.seq)
_APPEND_MANY_PG = (
    insert(change_log)
    .values(txid=CURRENT_TXID)
    .returning(change_log.c.seq, change_log.c.txid, sort_by_parameter_order=True)
)


# ---- the bulk path: the seeder's rows -----------------------------------------------------


def append_bulk(
    conn: Connection,
    rows: Sequence[tuple[Kind, Sequence[Any]]],
    *,
    context: Context,
    now: datetime,
) -> int:
    """Append what publishing each row (its whole history at once: `once`) would, in the
    given order, by bulk INSERTs — seqs reserved in one go, audiences in key order. The
    number of changes appended."""
    found = [
        e
        for kind, of_kind in rows
        for row in of_kind
        for e in entries(kind, row, context, once=True)
    ]
    if not found:
        return 0
    txid = _current_txid(conn)
    changes: list[dict[str, Any]] = []
    audience: list[dict[str, Any]] = []
    for seq, entry in zip(_reserve_seqs(conn, len(found)), found, strict=True):
        public = entry.audience is PUBLIC
        changes.append(
            {
                "seq": seq,
                "txid": txid,
                "entity": str(entry.kind),
                "entity_id": entry.entity_id,
                "op": entry.op,
                "payload": entry.payload,
                "public": public,
                "created_at": now,
            }
        )
        if not isinstance(entry.audience, Public):
            readers = sorted({u for u in entry.audience if u})
            audience += [{"user_id": user, "seq": seq, "txid": txid} for user in readers]
    insert_rows(conn, change_log, changes)
    # in key order: B-tree inserts stay local, much faster on a large table
    insert_rows(conn, change_audience, sorted(audience, key=lambda a: (a["user_id"], a["seq"])))
    return len(found)


def _current_txid(conn: Connection) -> int:
    """This transaction's id on PostgreSQL, the rows' place in pull order; 0 on SQLite,
    whose writers are serialised."""
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


# ---- reading ------------------------------------------------------------------------------


def safe_horizon(conn: Connection) -> int | None:
    """Below this txid every transaction has ended (PostgreSQL); None where seq order is
    commit order by itself (SQLite)."""
    if conn.dialect.name != "postgresql":
        return None
    return int(conn.scalar(_HORIZON))


_HORIZON = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def epoch(conn: Connection) -> str:
    return str(conn.scalar(select(server_meta.c.value).where(server_meta.c.key == "epoch")))
