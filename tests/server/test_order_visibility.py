"""Only open orders are public, in the change log as on GET: once an order is awarded, every
other replica is told to drop it, and only its client and its freelancer keep following it;
the other bidders get it once, closed to them."""

from __future__ import annotations

import json
from typing import Any

from tests.server.conftest import Server
from tests.server.escrow_flow import act, deliver, ok
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


def _pull_from(server: Server, user: dict[str, Any], cursor: str) -> tuple[list[Any], str]:
    response = server.request(
        "GET", "/v1/sync/pull", user["token"], params={"cursor": cursor, "limit": 500}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body["has_more"]
    return body["changes"], body["next_cursor"]


def test_a_losing_bidder_gets_the_order_once_closed_and_nothing_after(server: Server) -> None:
    """The attack: a bidder who lost kept following the order (its status, the winner's id)
    through sync and GET. Now the award hands them the order once, closed to them — no
    winner, no award — and nothing of the order after that."""
    client, winner, loser = (server.register(r) for r in ("client", "freelancer", "freelancer"))
    order = post_order(server, client)
    bid = place_bid(server, winner, order["id"])
    place_bid(server, loser, order["id"], amount_fen=90_000)
    _, cursor = _pull_from(server, loser, "")
    award(server, client, order["id"], bid["id"])

    changes, cursor = _pull_from(server, loser, cursor)
    puts = [c for c in changes if c["entity"] == "order" and c["op"] == "put"]
    assert [c["data"]["closed_to_me"] for c in puts] == [True]
    held = _replica(_pull_all(server, loser))[order["id"]]
    assert held["closed_to_me"] is True and held["status"] == "awarded"
    assert (held["freelancer_id"], held["awarded_bid_id"]) == (None, None)
    assert winner["id"] not in json.dumps(_pull_all(server, loser))
    shown = server.request("GET", f"/v1/orders/{order['id']}", loser["token"]).json()
    assert shown["closed_to_me"] is True and shown["freelancer_id"] is None
    listed = server.request(
        "GET", "/v1/orders", loser["token"], params={"mine": "true", "status": "all"}
    ).json()["items"]
    assert [(o["id"], o["closed_to_me"], o["freelancer_id"]) for o in listed] == [
        (order["id"], True, None)
    ]

    # the order goes on: funded, delivered, accepted — the loser hears nothing of it
    ok(act(server, client, order["id"], "fund"))
    deliver(server, winner, order["id"])
    ok(act(server, client, order["id"], "accept"))
    later, _ = _pull_from(server, loser, cursor)
    assert [c for c in later if c["entity"] == "order"] == []
    assert _replica(_pull_all(server, loser))[order["id"]]["status"] == "awarded"
    assert (
        winner["id"] not in server.request("GET", f"/v1/orders/{order['id']}", loser["token"]).text
    )
    for party in (client, winner):  # the parties follow it to the end
        followed = _replica(_pull_all(server, party))[order["id"]]
        assert (followed["status"], followed["freelancer_id"]) == ("completed", winner["id"])
        assert followed["closed_to_me"] is False


def test_an_order_cancelled_before_any_award_tells_every_bidder(server: Server) -> None:
    client, first, second = (server.register(r) for r in ("client", "freelancer", "freelancer"))
    order = post_order(server, client)
    place_bid(server, first, order["id"])
    place_bid(server, second, order["id"], amount_fen=90_000)
    ok(act(server, client, order["id"], "cancel"))
    for bidder in (first, second):
        held = _replica(_pull_all(server, bidder))[order["id"]]
        assert (held["status"], held["closed_to_me"]) == ("cancelled", False)
