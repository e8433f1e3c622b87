"""The signed-in client's first-order coupon (新客首单券) as last pulled (the
`first_order_coupon` change, kept in extra_entities; one per client, addressed to them), for
what `jiedan client fund` says after the payment."""

from __future__ import annotations

import json
import sqlite3
from typing import Any


def first_order_coupon(conn: sqlite3.Connection, *, order_id: str) -> dict[str, Any] | None:
    """The coupon decided at this order's first payment (applied or withheld), or None."""
    rows = conn.execute(
        "SELECT data FROM extra_entities WHERE entity = 'first_order_coupon'"
    ).fetchall()
    for (data,) in rows:
        item = json.loads(data)
        if isinstance(item, dict) and item.get("order_id") == order_id:
            return dict(item)
    return None
