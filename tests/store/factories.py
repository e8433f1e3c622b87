"""Pull-page changes in the server's shapes, for building replicas in tests and benchmarks."""

from __future__ import annotations

from itertools import count
from typing import Any

_clock = count(1)


def stamp(n: int | None = None) -> str:
    """Increasing RFC 3339 times: the n-th second after 2026-01-01."""
    n = next(_clock) if n is None else n
    day, rest = divmod(n, 86_400)
    hours, rest = divmod(rest, 3600)
    return (
        f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}Z"
    )


def order(order_id: str, title: str = "网站建设", **fields: Any) -> dict[str, Any]:
    created = fields.pop("created_at", None) or stamp()
    data: dict[str, Any] = {
        "id": order_id,
        "title": title,
        "description": "",
        "category": "web",
        "tags": [],
        "budget_min_fen": 100_000,
        "budget_max_fen": 200_000,
        "currency": "CNY",
        "status": "open",
        "client_id": "client-1",
        "created_at": created,
        "updated_at": created,
        "deadline": None,
        "bid_count": 0,
        "awarded_bid_id": None,
        "freelancer_id": None,
        "location": None,
        "my_bid": None,
    }
    data.update(fields)
    return data


def bid(bid_id: str, order_id: str, freelancer_id: str = "me", **fields: Any) -> dict[str, Any]:
    created = fields.pop("created_at", None) or stamp()
    data: dict[str, Any] = {
        "id": bid_id,
        "order_id": order_id,
        "freelancer_id": freelancer_id,
        "amount_fen": 150_000,
        "currency": "CNY",
        "days": 5,
        "message": "",
        "status": "submitted",
        "created_at": created,
        "updated_at": created,
    }
    data.update(fields)
    return data


def message(message_id: str, order_id: str, text: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message_id,
        "order_id": order_id,
        "sender_id": "client-1",
        "recipient_id": "me",
        "text": text,
        "flagged": False,
        "created_at": fields.pop("created_at", None) or stamp(),
    }
    data.update(fields)
    return data


def put(entity: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"seq": 0, "entity": entity, "id": data["id"], "op": "put", "data": data}


def delete(entity: str, entity_id: str) -> dict[str, Any]:
    return {"seq": 0, "entity": entity, "id": entity_id, "op": "delete", "data": None}


def page(*changes: dict[str, Any], cursor: str = "c1", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "changes": list(changes),
        "next_cursor": cursor,
        "has_more": False,
        "last_seq": 0,
        "epoch": "e1",
        "reset": False,
    }
    body.update(fields)
    return body


def assert_index_in_step(conn: Any) -> None:
    """The full-text index holds exactly the tokens of the orders table, row for row (a
    contentless FTS5 table cannot check this itself)."""
    import json

    from jiedan_cli.store.apply import order_fts_text

    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms"
        " USING fts5vocab(main, orders_fts, instance)"
    )
    indexed = {
        (r[0], r[1], r[2]) for r in conn.execute("SELECT term, doc, col FROM temp.fts_terms")
    }
    expected = set()
    rows = conn.execute("SELECT num, title, description, tags, category FROM orders")
    for num, title, description, tags, category in rows:
        title_text, body_text = order_fts_text(title, description, json.loads(tags), category)
        expected |= {(term, num, "title") for term in title_text.split()}
        expected |= {(term, num, "body") for term in body_text.split()}
    assert indexed == expected
