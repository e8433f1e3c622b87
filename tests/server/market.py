"""Arranging marketplace state through the real API: post an order, bid, award."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from jiedan_cli.server.db.tables import change_audience, change_log, orders
from tests.server.conftest import Server


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "设计一个咖啡店 logo",
        "description": "需要矢量源文件和三套配色。",
        "category": "design",
        "tags": ["logo", "品牌"],
        "budget_min_fen": 50_000,
        "budget_max_fen": 120_000,
    }
    body.update(overrides)
    return body


def post_order(server: Server, client: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    response = server.request("POST", "/v1/orders", client["token"], json=order_body(**overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


def place_bid(
    server: Server,
    freelancer: dict[str, Any],
    order_id: str,
    amount_fen: int = 80_000,
    days: int = 7,
    message: str = "三天出初稿",
) -> dict[str, Any]:
    response = server.request(
        "POST",
        f"/v1/orders/{order_id}/bids",
        freelancer["token"],
        json={"amount_fen": amount_fen, "days": days, "message": message},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def award(server: Server, client: dict[str, Any], order_id: str, bid_id: str) -> dict[str, Any]:
    response = server.request(
        "POST", f"/v1/orders/{order_id}/award", client["token"], json={"bid_id": bid_id}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def awarded_order(server: Server) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(client, freelancer, order) with the freelancer's bid awarded."""
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client)
    bid = place_bid(server, freelancer, order["id"])
    return client, freelancer, award(server, client, order["id"], bid["id"])


def set_order_status(server: Server, order_id: str, status: str) -> None:
    """Arrange a state another area's flow would reach (e.g. `completed` by escrow)."""
    with server.db.write() as conn:
        conn.execute(update(orders).where(orders.c.id == order_id).values(status=status))


def changes_of(server: Server, entity: str, entity_id: str) -> list[dict[str, Any]]:
    """The change-log rows of one object, oldest first, with their audience."""
    with server.db.read() as conn:
        rows = conn.execute(
            select(change_log)
            .where(change_log.c.entity == entity, change_log.c.entity_id == entity_id)
            .order_by(change_log.c.seq)
        ).all()
        result = []
        for row in rows:
            audience = conn.execute(
                select(change_audience.c.user_id).where(change_audience.c.seq == row.seq)
            ).scalars()
            result.append({"payload": row.payload, "public": row.public, "audience": set(audience)})
    return result
