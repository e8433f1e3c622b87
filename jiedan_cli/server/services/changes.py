"""The change log every write appends to, in its own transaction; sync pulls read it.

Cursor order must be commit order. On PostgreSQL a sequence value is taken at insert time,
not at commit, so a transaction may take seq 7 and commit after seq 8 — a client pulling in
between would skip 7 forever. We therefore serialise appends with a transaction-scoped
advisory lock: a writer that appends holds it until it commits, so seqs become visible in
order. On SQLite writers are already serialised (BEGIN IMMEDIATE)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text

from jiedan_cli.server.db.tables import change_audience, change_log, server_meta

CHANGE_LOG_LOCK = 0x6A696564  # "jied"


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
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK, {"key": CHANGE_LOG_LOCK})
    change = {
        "entity": entity,
        "entity_id": entity_id,
        "op": op,
        "payload": payload,
        "public": public,
        "created_at": now,
    }
    seq = conn.execute(_APPEND, change).scalar_one()
    if not public:
        users = sorted({u for u in audience if u})
        if users:
            conn.execute(_ADDRESS, [{"user_id": u, "seq": seq} for u in users])
    return int(seq)


# Built once: every write appends, so building them per call was a good part of a write's CPU.
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_APPEND = insert(change_log).returning(change_log.c.seq)
_ADDRESS = insert(change_audience)


def epoch(conn: Connection) -> str:
    return str(conn.scalar(select(server_meta.c.value).where(server_meta.c.key == "epoch")))
