"""Rows kept only for a while: sign-in attempts (the throttle looks back one hour) and
Idempotency-Key records (a key may be reused for anything after a day, as with Stripe). The
purge job deletes them once nothing reads them any more, so neither table grows forever."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete

from jiedan_cli.server.db.tables import idempotency_keys, login_attempts
from jiedan_cli.server.services.login_throttle import WINDOW

# After this an Idempotency-Key may be used again for anything (Stripe keeps keys 24 hours).
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)


def purge_expired(conn: Connection, *, now: datetime) -> int:
    """Delete attempts older than the throttle's window and keys older than their TTL;
    returns how many rows went."""
    attempts = conn.execute(delete(login_attempts).where(login_attempts.c.at < now - WINDOW))
    keys = conn.execute(
        delete(idempotency_keys).where(idempotency_keys.c.created_at < now - IDEMPOTENCY_KEY_TTL)
    )
    return attempts.rowcount + keys.rowcount
