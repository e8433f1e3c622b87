"""`jiedan bid suggest ORDER_ID` against the real server: the contract's fields, yuan on a
pipe, figures rounded (a sealed bid is not read back); an order the server does not know is
exit 3, no network exit 6."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.cli.conftest import User
from tests.sync.conftest import PASSWORD


def api_user(like: User, role: str) -> User:
    """Another account on the same server, made through the API (no client installed)."""
    email = f"api-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "name": "对方", "password": PASSWORD, "role": role}
    response = httpx.post(f"{like.server.url}/v1/auth/register", json=body, timeout=30)
    assert response.status_code == 201, response.text
    made = response.json()
    return User(like.server, Path("/nonexistent"), email, made["user"]["id"], made["token"])


def completed_at(like: User, amount_fen: int) -> None:
    """A writing order of a new client, accepted from a new freelancer at `amount_fen`."""
    client, freelancer = api_user(like, "client"), api_user(like, "freelancer")
    order = client.post_order(category="writing", tags=["文案"], budget_min_fen=10_000)
    bid = freelancer.api(
        "POST", f"/v1/orders/{order['id']}/bids", amount_fen=amount_fen, days=3, message="好"
    )
    client.api("POST", f"/v1/orders/{order['id']}/award", bid_id=bid["id"])
    client.api("POST", f"/v1/orders/{order['id']}/fund")
    files = [{"name": "稿.docx", "size": 10, "sha256": "ab" * 32}]
    freelancer.api("POST", f"/v1/orders/{order['id']}/deliveries", note="完成", files=files)
    assert client.api("POST", f"/v1/orders/{order['id']}/accept")["status"] == "completed"


def test_a_suggestion_for_an_order_with_no_history_is_the_budget(
    client: User, freelancer: User
) -> None:
    order = client.post_order(category="translation", budget_min_fen=80_000, budget_max_fen=100_000)
    hint = freelancer.ok("bid", "suggest", order["id"], "--json").json()
    assert {k: hint[k] for k in ("low_fen", "median_fen", "high_fen", "basis_count")} == {
        "low_fen": 80_000,
        "median_fen": 90_000,
        "high_fen": 100_000,
        "basis_count": 0,
    }
    assert "budget" in hint["explanation"]
    rows = freelancer.ok("bid", "suggest", order["id"]).stdout.splitlines()
    assert rows[:3] == ["low\t800.00", "median\t900.00", "high\t1000.00"]


def test_suggest_errors_keep_the_contracts_exit_codes(freelancer: User) -> None:
    unknown = freelancer.run("bid", "suggest", "00000000-0000-7000-8000-000000000000")
    assert unknown.code == 3 and unknown.stderr.startswith("error: ")
    offline = freelancer.unreachable("bid", "suggest", "00000000-0000-7000-8000-000000000000")
    assert offline.code == 6


def test_a_suggestion_from_five_clients_is_rounded(client: User, freelancer: User) -> None:
    for amount in (100_000, 110_000, 120_000, 123_456, 130_000):
        completed_at(client, amount)
    # a budget the market's range fits in (outside it, the range is fitted to the budget)
    order = client.post_order(
        category="writing", tags=["文案"], budget_min_fen=50_000, budget_max_fen=400_000
    )
    hint = freelancer.ok("bid", "suggest", order["id"], "--json").json()
    assert {k: hint[k] for k in ("low_fen", "median_fen", "high_fen", "basis_count")} == {
        "low_fen": 110_000,
        "median_fen": 120_000,
        "high_fen": 120_000,  # 123456 to two figures
        "basis_count": 5,
    }
    rows = freelancer.ok("bid", "suggest", order["id"]).stdout.splitlines()
    assert rows[:4] == ["low\t1100.00", "median\t1200.00", "high\t1200.00", "basis_count\t5"]
