"""A price hint for a bid (智能定价, the seed 5.1): what clients accepted on similar completed
orders — the same category, sharing a tag where enough did — over the last year, as rounded
quartiles (domain/pricing.py); the client's budget when too few clients did to say. The
asker's own orders never count (a sealed bid must not be read back through the hint)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from jiedan_cli.domain.categories import CATEGORIES
from jiedan_cli.domain.money import CURRENCY, format_yuan
from jiedan_cli.domain.pricing import ENOUGH_CLIENTS, budget_fit, price_range
from jiedan_cli.domain.states import OrderStatus
from jiedan_cli.server.db.tables import bids, orders
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.visibility import readable_order

WINDOW = timedelta(days=365)
RECENT = 500  # the most recent completed orders of a category looked at: enough, and bounded


def suggest_bid(
    conn: Connection, viewer: Actor | None, order_id: str, *, now: datetime
) -> dict[str, Any]:
    order = readable_order(conn, viewer, order_id)
    query = (
        select(orders.c.client_id, orders.c.tags, bids.c.amount_fen)
        .join(bids, bids.c.id == orders.c.awarded_bid_id)
        .where(
            orders.c.category == order.category,
            orders.c.status == OrderStatus.COMPLETED.value,
            orders.c.id != order.id,
            orders.c.created_at >= now - WINDOW,
        )
        .order_by(orders.c.created_at.desc())
        .limit(RECENT)
    )
    if viewer is not None:
        query = query.where(orders.c.client_id != viewer.id)
    accepted = conn.execute(query).all()
    tags = set(order.tags)  # JSONText: a list already
    tagged = [(row.client_id, row.amount_fen) for row in accepted if tags & set(row.tags)]
    label = CATEGORIES.get(order.category, order.category)
    if len({client for client, _ in tagged}) >= ENOUGH_CLIENTS:
        amounts, basis = tagged, f"{label} orders tagged {'/'.join(sorted(tags))}"
    else:
        amounts = [(row.client_id, row.amount_fen) for row in accepted]
        basis = f"{label} orders"
    budget = (order.budget_min_fen, order.budget_max_fen)
    found = price_range(amounts, budget)
    if found["basis_count"]:
        fit = budget_fit(found, budget)
        explanation = (
            f"from {found['basis_count']} completed {basis} in the last year (rounded): half"
            f" were accepted between ¥{format_yuan(found['market_low_fen'])}"
            f" and ¥{format_yuan(found['market_high_fen'])}"
            + (f" — {fit} (¥{format_yuan(budget[0])}–{format_yuan(budget[1])})" if fit else "")
        )
    else:
        explanation = (
            f"too few completed {label} orders to say (from fewer than {ENOUGH_CLIENTS}"
            " other clients): the client's budget"
        )
    return {**found, "order_id": order.id, "currency": CURRENCY, "explanation": explanation}
