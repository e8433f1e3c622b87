"""Arranging escrow state through the real API (fund, deliver, accept …) and reading the
ledger back for the money tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jiedan_cli.server.db.tables import ledger_accounts, ledger_transfers
from jiedan_cli.server.services import accounts
from jiedan_cli.server.services.actors import Actor
from tests.server.conftest import Server
from tests.server.market import award, place_bid, post_order

SHA = "ab" * 32


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
