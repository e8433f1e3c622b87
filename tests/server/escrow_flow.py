"""Arranging escrow state through the real API (fund, deliver, accept …) and reading the
ledger back for the money tests."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from jiedan_cli.domain.ledger import may_go_negative
from jiedan_cli.domain.states import MILESTONE_HOLDING
from jiedan_cli.server.db.tables import ledger_accounts, ledger_transfers, milestones
from jiedan_cli.server.services import accounts
from jiedan_cli.server.services.actors import Actor
from tests.server.conftest import Server
from tests.server.market import award, place_bid, post_order

SHA = "ab" * 32
PAYOUT_KINDS = ("release", "resolve")


def act(server: Server, user: dict[str, Any], order_id: str, action: str, **body: Any) -> Any:
    """POST /v1/orders/{id}/{action} as `user`."""
    return server.request(
        "POST", f"/v1/orders/{order_id}/{action}", user["token"], json=body or None
    )


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def awarded(
    server: Server,
    amount_fen: int = 80_000,
    client: dict[str, Any] | None = None,
    freelancer: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    client = client or server.register("client")
    freelancer = freelancer or server.register("freelancer")
    order = post_order(
        server,
        client,
        budget_min_fen=min(amount_fen, 50_000),
        budget_max_fen=max(amount_fen, 120_000),
    )
    bid = place_bid(server, freelancer, order["id"], amount_fen=amount_fen)
    return client, freelancer, award(server, client, order["id"], bid["id"])


def funded(server: Server, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    client, freelancer, order = awarded(server, **kwargs)
    funding = ok(act(server, client, order["id"], "fund"))
    assert funding["order"]["status"] == "in_progress"
    return client, freelancer, funding["order"]


def delivered(
    server: Server, **kwargs: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    client, freelancer, order = funded(server, **kwargs)
    deliver(server, freelancer, order["id"])
    return client, freelancer, order


def deliver(server: Server, freelancer: dict[str, Any], order_id: str) -> dict[str, Any]:
    files = [{"name": "logo.ai", "size": 2048, "sha256": SHA}]
    return ok(act(server, freelancer, order_id, "deliveries", note="初稿", files=files), 201)


def completed(
    server: Server, **kwargs: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    client, freelancer, order = delivered(server, **kwargs)
    assert ok(act(server, client, order["id"], "accept"))["status"] == "completed"
    return client, freelancer, order


def staff(server: Server, role: str = "support") -> dict[str, Any]:
    """A signed-in staff account."""
    email = f"{role}-{len(server.tokens)}@staff.example.com"
    with server.db.write() as conn:
        user = accounts.create_staff(
            conn,
            email=email,
            role=role,
            password="staff password 1",
            name=role,
            now=server.clock.now,
        )
    response = server.client.post(
        "/v1/auth/login", json={"email": email, "password": "staff password 1"}
    )
    assert response.status_code == 200, response.text
    server.tokens[email] = response.json()["token"]
    return {**user, "token": response.json()["token"]}


def actor_of(user: dict[str, Any]) -> Actor:
    """The service-level caller for a user made through the API."""
    return Actor(user["id"], user["email"], user["name"], frozenset(user["roles"]))


def balances(server: Server) -> dict[str, int]:
    with server.db.read() as conn:
        rows = conn.execute(select(ledger_accounts.c.id, ledger_accounts.c.balance_fen)).all()
    return {r.id: r.balance_fen for r in rows}


def transfers(server: Server, **where: Any) -> list[Any]:
    query = select(ledger_transfers).order_by(ledger_transfers.c.created_at, ledger_transfers.c.id)
    for column, value in where.items():
        query = query.where(ledger_transfers.c[column] == value)
    with server.db.read() as conn:
        return list(conn.execute(query).all())


def summary(server: Server, user: dict[str, Any]) -> dict[str, Any]:
    return ok(server.request("GET", "/v1/earnings/summary", user["token"]))


def assert_ledger_sound(db: Any) -> None:
    """money.md's ledger invariants, read from `db` (a server Database) in one snapshot: the
    balances sum to zero; only external:* is negative; an escrow account holds its milestone's
    amount while the milestone holds money and zero otherwise (released, refunded, resolved);
    a milestone is paid out at most once; every balance is the sum of its transfers."""
    with db.read() as conn:
        accounts = dict(
            conn.execute(select(ledger_accounts.c.id, ledger_accounts.c.balance_fen)).all()
        )
        moves = conn.execute(select(ledger_transfers)).all()
        rows = conn.execute(
            select(milestones.c.id, milestones.c.status, milestones.c.amount_fen)
        ).all()
    assert sum(accounts.values()) == 0
    negative = {a: b for a, b in accounts.items() if b < 0 and not may_go_negative(a)}
    assert negative == {}
    for milestone_id, status, amount in rows:
        held = accounts.get(f"escrow:{milestone_id}", 0)
        assert held == (amount if status in MILESTONE_HOLDING else 0), (status, held, amount)
    payouts: dict[str, int] = defaultdict(int)
    flows: dict[str, int] = defaultdict(int)
    for move in moves:
        if move.kind in PAYOUT_KINDS:
            payouts[move.source] += 1
        flows[move.source] -= move.amount_fen
        flows[move.destination] += move.amount_fen
    assert all(count == 1 for count in payouts.values())
    # Every balance is exactly the sum of its transfers (no movement outside the ledger).
    assert {a: flows.get(a, 0) for a in accounts} == accounts
