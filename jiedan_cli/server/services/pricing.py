"""A price hint for a bid (智能定价, the seed 5.1): what clients accepted on similar orders —
the same category, sharing a tag where enough did — over the last year, as quartiles
(domain/pricing.py); the client's budget when too few were accepted to say."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from jiedan_cli.domain.categories import CATEGORIES
from jiedan_cli.domain.money import CURRENCY, format_yuan
from jiedan_cli.domain.pricing import ENOUGH, price_range
from jiedan_cli.domain.states import OrderStatus
from jiedan_cli.server.db.tables import bids, orders
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.orders import readable_order

WINDOW = timedelta(days=365)
RECENT = 500  # the most recent accepted bids of a category looked at: enough, and bounded


def suggest_bid(
    conn: Connection, viewer: Actor | None, order_id: str, *, now: datetime
) -> dict[str, Any]:
    order = readable_order(conn, viewer, order_id)
    accepted = conn.execute(
        select(orders.c.tags, bids.c.amount_fen)
        .join(bids, bids.c.id == orders.c.awarded_bid_id)
        .where(
            orders.c.category == order.category,
            orders.c.id != order.id,
            orders.c.status != OrderStatus.CANCELLED.value,
            orders.c.created_at >= now - WINDOW,
        )
        .order_by(orders.c.created_at.desc())
        .limit(RECENT)
    ).all()
    tags = set(order.tags)  # JSONText: a list already
    tagged = [row.amount_fen for row in accepted if tags & set(row.tags)]
    label = CATEGORIES.get(order.category, order.category)
    if len(tagged) >= ENOUGH:
        amounts, basis = tagged, f"{label} orders tagged {'/'.join(sorted(tags))}"
    else:
        amounts, basis = [row.amount_fen for row in accepted], f"{label} orders"
    found = price_range(amounts, (order.budget_min_fen, order.budget_max_fen))
    if found["basis_count"]:
        explanation = (
            f"from {found['basis_count']} accepted bids on {basis} in the last year: half"
            f" were between ¥{format_yuan(found['low_fen'])} and ¥{format_yuan(found['high_fen'])}"
        )
    else:
        explanation = (
            f"too few accepted bids on {label} orders to say (fewer than {ENOUGH}):"
            " the client's budget"
        )
    return {**found, "order_id": order.id, "currency": CURRENCY, "explanation": explanation}
