"""Idempotency-Key storage (`api/idempotency.py` speaks HTTP): claim a (caller, key) for a
request, store the answer a retry is to get, or release the claim. Each call is its own
write transaction, run in a worker thread."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update

from jiedan_cli.server.db import Database
from jiedan_cli.server.db.conflicts import insert_for
from jiedan_cli.server.db.tables import idempotency_keys
from jiedan_cli.server.services.housekeeping import IDEMPOTENCY_KEY_TTL

KEY_TTL = IDEMPOTENCY_KEY_TTL  # after this a key may be used again (services/housekeeping.py)
# A claim this old with no response is taken to be abandoned (a crashed worker).
IN_FLIGHT_TIMEOUT = timedelta(minutes=5)

RUN, REPLAY, REUSED, IN_FLIGHT = "run", "replay", "reused", "in_flight"


@dataclass(frozen=True)
class Claim:
    verdict: str
    status: int = 0
    headers: list[tuple[bytes, bytes]] | None = None
    body: bytes = b""


def claim_key(db: Database, caller: str, key: str, fingerprint: str, now: datetime) -> Claim:
    with db.write() as conn:
        row = _row(conn, caller, key)
        if row is None:
            if _insert_claim(conn, caller, key, fingerprint, now):
                return Claim(RUN)
            row = _row(conn, caller, key)
        if row.created_at <= now - KEY_TTL:
            return _take_over(conn, row, fingerprint, now)
        if row.request_hash != fingerprint:
            return Claim(REUSED)
        if row.status_code is None:
            if row.created_at <= now - IN_FLIGHT_TIMEOUT:
                return _take_over(conn, row, fingerprint, now)
            return Claim(IN_FLIGHT)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in row.headers]
        return Claim(REPLAY, row.status_code, headers, base64.b64decode(row.body))


def _row(conn: Connection, caller: str, key: str) -> Any:
    query = select(idempotency_keys).where(
        idempotency_keys.c.scope == caller, idempotency_keys.c.key == key
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def _insert_claim(conn: Connection, caller: str, key: str, fingerprint: str, now: datetime) -> bool:
    done = conn.execute(
        insert_for(conn, idempotency_keys)
        .values(scope=caller, key=key, request_hash=fingerprint, created_at=now)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    return done.first() is not None


def _take_over(conn: Connection, row: Any, fingerprint: str, now: datetime) -> Claim:
    """Claim an expired or abandoned key afresh — only if nobody else just did."""
    done = conn.execute(
        update(idempotency_keys)
        .where(
            idempotency_keys.c.scope == row.scope,
            idempotency_keys.c.key == row.key,
            idempotency_keys.c.created_at == row.created_at,
        )
        .values(request_hash=fingerprint, status_code=None, headers=None, body=None, created_at=now)
    )
    return Claim(RUN) if done.rowcount == 1 else Claim(IN_FLIGHT)


def store_answer(
    db: Database,
    caller: str,
    key: str,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    with db.write() as conn:
        conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.scope == caller, idempotency_keys.c.key == key)
            .values(
                status_code=status,
                headers=[[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers],
                body=base64.b64encode(body).decode("ascii"),
            )
        )


def release_key(db: Database, caller: str, key: str) -> None:
    with db.write() as conn:
        conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.scope == caller,
                idempotency_keys.c.key == key,
                idempotency_keys.c.status_code.is_(None),
            )
        )
