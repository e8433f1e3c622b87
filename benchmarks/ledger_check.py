"""After a load that moved money: the ledger's invariants of money.md over the whole
database, and the load's own finished flows as the database has them. Any finding fails the
figure — a throughput bought with a wrong ledger is no throughput."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from jiedan_cli.domain.ledger import PAYOUT_KINDS, escrow, may_go_negative
from jiedan_cli.domain.states import MILESTONE_HOLDING
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import ledger_accounts, ledger_transfers, milestones, orders

SHOWN = 5  # findings of one kind quoted in full


def _some(items: Iterable[object]) -> str:
    listed = list(items)
    more = f" … and {len(listed) - SHOWN} more" if len(listed) > SHOWN else ""
    return ", ".join(str(item) for item in listed[:SHOWN]) + more


def check_ledger(database_url: str, completed_orders: Iterable[str] = ()) -> list[str]:
    """What is wrong (empty: the books are exact): balances sum to zero, no account but an
    external one below zero, every balance the sum of its transfers, every escrow holding
    exactly its milestone's amount while the milestone holds money and nothing after, each
    milestone paid out at most once (a settled released one exactly once), and every order a
    flow saw completed is completed with its milestones released."""
    db = Database(database_url, pool_size=1, max_overflow=0)
    try:
        with db.read() as conn:
            accounts = select(ledger_accounts.c.id, ledger_accounts.c.balance_fen)
            balances = {row.id: row.balance_fen for row in conn.execute(accounts)}
            moves = conn.execute(
                select(
                    ledger_transfers.c.source,
                    ledger_transfers.c.destination,
                    ledger_transfers.c.amount_fen,
                    ledger_transfers.c.kind,
                    ledger_transfers.c.milestone_id,
                )
            ).all()
            stones = conn.execute(
                select(
                    milestones.c.id,
                    milestones.c.order_id,
                    milestones.c.status,
                    milestones.c.amount_fen,
                )
            ).all()
            order_status = {
                r.id: r.status for r in conn.execute(select(orders.c.id, orders.c.status))
            }
    finally:
        db.dispose()
    found: list[str] = []
    total = sum(balances.values())
    if total != 0:
        found.append(f"balances sum to {total} fen, not 0")
    negative = {a: b for a, b in balances.items() if b < 0 and not may_go_negative(a)}
    if negative:
        found.append(f"{len(negative)} accounts below zero: {_some(negative.items())}")
    flows: dict[str, int] = defaultdict(int)
    payouts: Counter[str] = Counter()
    for move in moves:
        flows[move.source] -= move.amount_fen
        flows[move.destination] += move.amount_fen
        if move.kind in PAYOUT_KINDS and move.milestone_id is not None:
            payouts[move.milestone_id] += 1
    drift = {a: (b, flows.get(a, 0)) for a, b in balances.items() if flows.get(a, 0) != b}
    if drift:
        found.append(f"{len(drift)} balances differ from their transfers: {_some(drift.items())}")
    held_wrong = []
    for stone in stones:
        held = balances.get(escrow(stone.id), 0)
        if held != (stone.amount_fen if stone.status in MILESTONE_HOLDING else 0):
            held_wrong.append((stone.id, stone.status, held, stone.amount_fen))
    if held_wrong:
        found.append(f"{len(held_wrong)} escrows hold the wrong amount: {_some(held_wrong)}")
    twice = {m: n for m, n in payouts.items() if n > 1}
    if twice:
        found.append(f"{len(twice)} milestones paid more than once: {_some(twice.items())}")
    unpaid = [s.id for s in stones if s.status == "released" and payouts[s.id] != 1]
    if unpaid:
        found.append(f"{len(unpaid)} released milestones without their one payout: {_some(unpaid)}")
    by_order: dict[str, list[str]] = defaultdict(list)
    for stone in stones:
        by_order[stone.order_id].append(stone.status)
    wrong = [
        (order_id, order_status.get(order_id), by_order.get(order_id))
        for order_id in completed_orders
        if order_status.get(order_id) != "completed"
        or not by_order.get(order_id)
        or any(status != "released" for status in by_order[order_id])
    ]
    if wrong:
        found.append(
            f"{len(wrong)} accepted orders not completed, every milestone released: " + _some(wrong)
        )
    return found
