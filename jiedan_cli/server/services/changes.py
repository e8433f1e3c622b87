"""The change log every write appends to, in its own transaction; sync pulls read it.

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

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, cast, insert, literal_column, select, text

from jiedan_cli.server.db.tables import change_audience, change_log, server_meta

# The id of the transaction writing (xid8, 64 bits, never wraps), as a BIGINT.
CURRENT_TXID = cast(literal_column("pg_current_xact_id()::text"), BigInteger)


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
    """Append one change visible to everyone (`public`) or to the users in `audience`."""
    change = {
        "entity": entity,
        "entity_id": entity_id,
        "op": op,
        "payload": payload,
        "public": public,
        "created_at": now,
    }
    append = _APPEND_PG if conn.dialect.name == "postgresql" else _APPEND
    seq, txid = conn.execute(append, change).one()
    if not public:
        users = sorted({u for u in audience if u})
        if users:
            conn.execute(_ADDRESS, [{"user_id": u, "seq": seq, "txid": txid} for u in users])
    return int(seq)


# Built once: every write appends, so building them per call was a good part of a write's CPU.
_APPEND = insert(change_log).returning(change_log.c.seq, change_log.c.txid)
_APPEND_PG = (
    insert(change_log).values(txid=CURRENT_TXID).returning(change_log.c.seq, change_log.c.txid)
)
_ADDRESS = insert(change_audience)


def safe_horizon(conn: Connection) -> int | None:
    """Below this txid every transaction has ended (PostgreSQL); None where seq order is
    commit order by itself (SQLite)."""
    if conn.dialect.name != "postgresql":
        return None
    return int(conn.scalar(_HORIZON))


_HORIZON = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def epoch(conn: Connection) -> str:
    return str(conn.scalar(select(server_meta.c.value).where(server_meta.c.key == "epoch")))
