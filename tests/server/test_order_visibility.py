"""Only open orders are public, in the change log as on GET: once an order is awarded, every
other replica is told to drop it, and only its parties keep following it."""

from __future__ import annotations

from typing import Any

from tests.server.conftest import Server
from tests.server.market import award, place_bid, post_order


def _pull_all(server: Server, user: dict[str, Any]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    cursor = ""
    while True:
        response = server.request(
            "GET", "/v1/sync/pull", user["token"], params={"cursor": cursor, "limit": 500}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        changes += body["changes"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return changes


def _replica(changes: list[dict[str, Any]]) -> dict[str, Any]:
    """What a client holds after applying `changes` in order."""
    held: dict[str, Any] = {}
    for change in changes:
        if change["entity"] != "order":
            continue
        if change["op"] == "delete":
            held.pop(change["id"], None)
        else:
            held[change["id"]] = change["data"]
    return held


def test_an_awarded_order_leaves_strangers_replicas(server: Server) -> None:
    client, winner, loser = (server.register(r) for r in ("client", "freelancer", "freelancer"))
    stranger = server.register("freelancer")
    order = post_order(server, client)
    assert order["id"] in _replica(_pull_all(server, stranger))  # open: public

    bid = place_bid(server, winner, order["id"])
    place_bid(server, loser, order["id"], amount_fen=90_000)
    award(server, client, order["id"], bid["id"])

    assert order["id"] not in _replica(_pull_all(server, stranger))
    stranger_view = server.request("GET", f"/v1/orders/{order['id']}", stranger["token"])
    assert stranger_view.status_code == 404
    for party in (client, winner, loser):
        held = _replica(_pull_all(server, party))
        assert held[order["id"]]["status"] == "awarded"
        assert server.request("GET", f"/v1/orders/{order['id']}", party["token"]).status_code == 200


def test_no_stranger_ever_receives_a_non_open_order(server: Server) -> None:
    client, freelancer, stranger = (
        server.register(r) for r in ("client", "freelancer", "freelancer")
    )
    order = post_order(server, client)
    award(server, client, order["id"], place_bid(server, freelancer, order["id"])["id"])
    statuses = [
        c["data"]["status"]
        for c in _pull_all(server, stranger)
        if c["entity"] == "order" and c["op"] == "put"
    ]
    assert statuses and set(statuses) == {"open"}
