"""The append-only audit log: logins, permission failures, money movements, staff actions.
Never a secret in `detail`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from jiedan_cli.server.db.tables import audit_log


def audit(
    conn: Connection,
    action: str,
    *,
    now: datetime,
    actor_id: str | None = None,
    target: str | None = None,
    address: str | None = None,
    **detail: Any,
) -> None:
    conn.execute(
        insert(audit_log).values(
            at=now, actor_id=actor_id, action=action, target=target, address=address, detail=detail
        )
    )
