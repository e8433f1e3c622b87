"""P6: place-bid under 32 concurrent freelancers, each bidding on open orders of its own
(no two freelancers share an order, no freelancer bids twice on one), so every request
should succeed: any non-2xx is an error."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select, update

from benchmarks.load import Plan, Request
from benchmarks.p5 import register
from benchmarks.report import Target
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import orders, users

KEY = "P6"
WHAT = "POST /v1/orders/{id}/bids"
TARGET = Target(min_ratio=0.25, max_p99_ms=100, max_errors=0, moonshot_ratio=0.5)
WARMUP_SHARE = 0.15  # of each freelancer's orders, kept for the warm-up


def _bid(order_id: str, amount_fen: int, token: str) -> Request:
    body = {"amount_fen": amount_fen, "days": 7, "message": "基准测试：可以按时交付。"}
    return Request("POST", f"/v1/orders/{order_id}/bids", token, json.dumps(body))


def prepare(base_url: str, database_url: str, connections: int) -> tuple[Plan, Plan, int]:
    """(warm-up plan, measured plan, bids the measured plan can place before repeating)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        freelancers = [register(client, "freelancer", f"bench-f{n}") for n in range(connections)]
    db = Database(database_url)
    try:
        with db.write() as conn:
            # verified (实名认证) freelancers: the unverified daily bid cap would refuse the rest
            ids = [f["id"] for f in freelancers]
            conn.execute(update(users).where(users.c.id.in_(ids)).values(verification="approved"))
        with db.read() as conn:
            open_orders = conn.execute(
                select(orders.c.id, orders.c.budget_min_fen)
                .where(orders.c.status == "open")
                .order_by(orders.c.created_at.desc())
            ).all()
    finally:
        db.dispose()
    if len(open_orders) < connections * 20:
        raise RuntimeError(f"P6 needs more open orders than {len(open_orders)}: seed more")
    warm: Plan = []
    measured: Plan = []
    for n, freelancer in enumerate(freelancers):
        mine = [
            _bid(o.id, o.budget_min_fen, freelancer["token"]) for o in open_orders[n::connections]
        ]
        cut = max(1, int(len(mine) * WARMUP_SHARE))
        warm.append(mine[:cut])
        measured.append(mine[cut:])
    return warm, measured, sum(len(reqs) for reqs in measured)
