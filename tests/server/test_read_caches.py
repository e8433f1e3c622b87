"""The in-process caches behind the busiest reads (performance.md P5, P6): a token already
resolved, a page of the order board already rendered. Neither may ever serve what a later
write has changed — through the API, another connection, or another database handle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import orders, sessions, users
from tests.server.conftest import Server
from tests.server.market import place_bid, post_order


def board(server: Server, token: str | None = None) -> list[dict[str, Any]]:
    response = server.request("GET", "/v1/orders?limit=20", token)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def me(server: Server, user: dict[str, Any]) -> int:
    return int(server.request("GET", "/v1/me", user["token"]).status_code)


# ---- tokens -------------------------------------------------------------------------------


def test_a_session_revoked_in_the_database_is_refused_at_once(server: Server) -> None:
    user = server.register()
    assert me(server, user) == 200  # resolved, so remembered
    with server.db.write() as conn:
        conn.execute(
            update(sessions)
            .where(sessions.c.user_id == user["id"])
            .values(revoked_at=server.clock.now)
        )
    assert me(server, user) == 401


def test_a_closed_account_is_refused_at_once(server: Server) -> None:
    user = server.register()
    assert me(server, user) == 200
    with server.db.write() as conn:
        conn.execute(update(users).where(users.c.id == user["id"]).values(status="deleted"))
    assert me(server, user) == 401


def test_a_role_granted_counts_on_the_next_request(sqlite_server: Server) -> None:
    client, other = sqlite_server.register("client"), sqlite_server.register("client")
    order = post_order(sqlite_server, other)
    body = {"amount_fen": 80_000, "days": 7}
    path = f"/v1/orders/{order['id']}/bids"
    assert sqlite_server.request("POST", path, client["token"], json=body).status_code == 403
    with sqlite_server.db.write() as conn:
        conn.execute(
            update(users).where(users.c.id == client["id"]).values(roles="client,freelancer")
        )
    assert sqlite_server.request("POST", path, client["token"], json=body).status_code == 201


def test_a_revocation_through_another_database_handle_is_seen(server: Server) -> None:
    user = server.register()
    assert me(server, user) == 200
    other = Database(server.settings.database_url)
    try:
        with other.write() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.user_id == user["id"])
                .values(revoked_at=server.clock.now)
            )
    finally:
        other.dispose()
    assert me(server, user) == 401


# ---- pages of the order board -------------------------------------------------------------


def test_a_page_shows_each_viewer_their_own_bid(server: Server) -> None:
    client = server.register("client")
    bidder, onlooker = server.register("freelancer"), server.register("freelancer")
    order = post_order(server, client)
    assert board(server, bidder["token"])[0]["my_bid"] is None
    bid = place_bid(server, bidder, order["id"])
    mine = board(server, bidder["token"])[0]
    assert (mine["id"], mine["my_bid"]["id"], mine["bid_count"]) == (order["id"], bid["id"], 1)
    theirs = board(server, onlooker["token"])[0]
    assert (theirs["my_bid"], theirs["bid_count"]) == (None, 1)
    assert board(server)[0]["my_bid"] is None


def test_a_page_follows_a_write_made_outside_the_api(server: Server) -> None:
    client = server.register("client")
    order = post_order(server, client, title="旧标题")
    assert board(server)[0]["title"] == "旧标题"
    other = Database(server.settings.database_url)
    try:
        with other.write() as conn:  # no change-log entry: only the database knows
            conn.execute(update(orders).where(orders.c.id == order["id"]).values(title="新标题"))
    finally:
        other.dispose()
    assert board(server)[0]["title"] == "新标题"


def test_a_page_is_still_checked_for_bad_input(sqlite_server: Server) -> None:
    assert board(sqlite_server) == []
    bad = sqlite_server.request("GET", "/v1/orders?limit=0")
    assert bad.status_code == 422
