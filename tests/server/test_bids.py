"""Bids: one live bid per freelancer per order, sealed from other freelancers, editable until
the award; the award declines the others and creates the default milestone."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, update

from jiedan_cli.server.db.tables import bids, milestones, users
from tests.server.conftest import Server
from tests.server.market import award, changes_of, place_bid, post_order
from tests.server.statements import Statements

BID_FIELDS = {
    "id",
    "order_id",
    "freelancer_id",
    "amount_fen",
    "currency",
    "days",
    "message",
    "status",
    "created_at",
    "updated_at",
}


def bid_on(server: Server, user: dict[str, Any], order_id: str, **body: Any) -> Any:
    payload = {"amount_fen": 80_000, "days": 7, **body}
    return server.request("POST", f"/v1/orders/{order_id}/bids", user["token"], json=payload)


def test_a_freelancer_bids_and_the_order_counts_it(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client)
    bid = place_bid(server, freelancer, order["id"], amount_fen=88_800, days=5, message="可以")
    assert set(bid) == BID_FIELDS
    assert (bid["amount_fen"], bid["days"], bid["message"]) == (88_800, 5, "可以")
    assert (bid["status"], bid["currency"], bid["freelancer_id"]) == (
        "submitted",
        "CNY",
        freelancer["id"],
    )
    assert server.request("GET", f"/v1/orders/{order['id']}").json()["bid_count"] == 1
    recorded = changes_of(server, "bid", bid["id"])
    assert recorded == [
        {"payload": bid, "public": False, "audience": {freelancer["id"], client["id"]}}
    ]
    assert changes_of(server, "order", order["id"])[-1]["payload"]["bid_count"] == 1


def test_a_bid_made_offline_keeps_its_id(sqlite_server: Server) -> None:
    client, freelancer = sqlite_server.register("client"), sqlite_server.register("freelancer")
    order = post_order(sqlite_server, client)
    made = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    response = bid_on(sqlite_server, freelancer, order["id"], id=made)
    assert response.status_code == 201
    assert response.json()["id"] == made


def test_a_client_cannot_bid_on_their_own_order(sqlite_server: Server) -> None:
    both = sqlite_server.register("both")
    order = post_order(sqlite_server, both)
    response = bid_on(sqlite_server, both, order["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "own_order"


def test_a_client_only_account_cannot_bid(sqlite_server: Server) -> None:
    client, other = sqlite_server.register("client"), sqlite_server.register("client")
    order = post_order(sqlite_server, client)
    assert bid_on(sqlite_server, other, order["id"]).status_code == 403


def test_one_live_bid_per_freelancer_per_order(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client)
    first = place_bid(server, freelancer, order["id"])
    again = bid_on(server, freelancer, order["id"])
    assert again.status_code == 409
    assert again.json()["code"] == "bid_exists"
    withdrawn = server.request("POST", f"/v1/bids/{first['id']}/withdraw", freelancer["token"])
    assert withdrawn.json()["status"] == "withdrawn"
    assert server.request("GET", f"/v1/orders/{order['id']}").json()["bid_count"] == 0
    assert bid_on(server, freelancer, order["id"]).status_code == 201
    assert server.request("GET", f"/v1/orders/{order['id']}").json()["bid_count"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"amount_fen": 0},
        {"amount_fen": -100},
        {"amount_fen": 10**13},
        {"days": 0},
        {"days": 366},
        {"message": "长" * 5_001},
        {"id": "not-a-uuid"},
        {"status": "awarded"},
        {"freelancer_id": "someone"},
    ],
)
def test_bad_or_forbidden_bid_fields_are_422(sqlite_server: Server, body: dict[str, Any]) -> None:
    client, freelancer = sqlite_server.register("client"), sqlite_server.register("freelancer")
    order = post_order(sqlite_server, client)
    assert bid_on(sqlite_server, freelancer, order["id"], **body).status_code == 422


@pytest.mark.parametrize("patch", [{"status": "awarded"}, {"days": 0}, {"order_id": "x"}])
def test_bad_or_forbidden_bid_patches_are_422(sqlite_server: Server, patch: dict[str, Any]) -> None:
    client, freelancer = sqlite_server.register("client"), sqlite_server.register("freelancer")
    bid = place_bid(sqlite_server, freelancer, post_order(sqlite_server, client)["id"])
    response = sqlite_server.request(
        "PATCH", f"/v1/bids/{bid['id']}", freelancer["token"], json=patch
    )
    assert response.status_code == 422


def test_the_author_updates_a_bid_while_the_order_is_open(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    bid = place_bid(server, freelancer, post_order(server, client)["id"])
    server.clock.advance(minutes=3)
    response = server.request(
        "PATCH", f"/v1/bids/{bid['id']}", freelancer["token"], json={"amount_fen": 70_000}
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["amount_fen"], updated["days"], updated["message"]) == (
        70_000,
        bid["days"],
        bid["message"],
    )
    assert updated["updated_at"] == "2026-11-25T09:03:00Z"
    assert changes_of(server, "bid", bid["id"])[-1]["payload"] == updated


def test_bids_are_sealed_from_other_freelancers(server: Server) -> None:
    client = server.register("client")
    alice, bob = server.register("freelancer"), server.register("freelancer")
    stranger = server.register("freelancer")
    order = post_order(server, client)
    alices = place_bid(server, alice, order["id"], amount_fen=60_000)
    bobs = place_bid(server, bob, order["id"], amount_fen=90_000)
    path = f"/v1/orders/{order['id']}/bids"
    assert server.request("GET", path, client["token"]).json() == [alices, bobs]
    assert server.request("GET", path, alice["token"]).json() == [alices]
    assert server.request("GET", path, stranger["token"]).json() == []
    assert server.request("GET", path).status_code == 401
    seen_by_bob = server.request("GET", f"/v1/orders/{order['id']}", bob["token"]).json()
    assert (seen_by_bob["bid_count"], seen_by_bob["my_bid"]) == (2, bobs)
    for method, suffix, body in (("PATCH", "", {"days": 1}), ("POST", "/withdraw", None)):
        for intruder in (bob, client):
            response = server.request(
                method, f"/v1/bids/{alices['id']}{suffix}", intruder["token"], json=body
            )
            assert response.status_code == 404
    assert server.request("GET", "/v1/bids", bob["token"]).json() == [bobs]


def test_my_bids_filter_by_order_and_status(sqlite_server: Server) -> None:
    client, freelancer = sqlite_server.register("client"), sqlite_server.register("freelancer")
    first, second = post_order(sqlite_server, client), post_order(sqlite_server, client)
    on_first = place_bid(sqlite_server, freelancer, first["id"])
    sqlite_server.clock.advance(seconds=1)
    on_second = place_bid(sqlite_server, freelancer, second["id"])
    sqlite_server.request("POST", f"/v1/bids/{on_first['id']}/withdraw", freelancer["token"])

    def mine(**params: Any) -> list[str]:
        response = sqlite_server.request("GET", "/v1/bids", freelancer["token"], params=params)
        assert response.status_code == 200, response.text
        return [bid["id"] for bid in response.json()]

    assert mine() == [on_second["id"], on_first["id"]]
    assert mine(order_id=second["id"]) == [on_second["id"]]
    assert mine(status="withdrawn") == [on_first["id"]]
    assert (
        sqlite_server.request(
            "GET", "/v1/bids", freelancer["token"], params={"status": "lost"}
        ).status_code
        == 422
    )


def test_bids_change_only_while_submitted_and_the_order_open(sqlite_server: Server) -> None:
    client = sqlite_server.register("client")
    winner, loser = sqlite_server.register("freelancer"), sqlite_server.register("freelancer")
    order = post_order(sqlite_server, client)
    winning = place_bid(sqlite_server, winner, order["id"])
    losing = place_bid(sqlite_server, loser, order["id"])
    award(sqlite_server, client, order["id"], winning["id"])
    for user, bid in ((winner, winning), (loser, losing)):
        patch = sqlite_server.request(
            "PATCH", f"/v1/bids/{bid['id']}", user["token"], json={"days": 2}
        )
        assert patch.status_code == 409
        withdraw = sqlite_server.request("POST", f"/v1/bids/{bid['id']}/withdraw", user["token"])
        assert withdraw.status_code == 409
    late = sqlite_server.register("freelancer")
    assert bid_on(sqlite_server, late, order["id"]).status_code == 404  # not open: not public
    assert bid_on(sqlite_server, loser, order["id"]).json()["code"] == "order_awarded"


def test_unverified_freelancers_have_a_daily_bid_limit(server: Server) -> None:
    server.settings.unverified_bids_per_day = 2
    client, freelancer = server.register("client"), server.register("freelancer")
    orders = [post_order(server, client)["id"] for _ in range(4)]
    place_bid(server, freelancer, orders[0])
    server.clock.advance(hours=12)
    place_bid(server, freelancer, orders[1])
    refused = bid_on(server, freelancer, orders[2])
    assert refused.status_code == 409
    assert refused.json()["code"] == "daily_bid_limit"
    server.clock.advance(hours=12, seconds=1)  # the first bid is now more than a day old
    assert bid_on(server, freelancer, orders[2]).status_code == 201
    assert bid_on(server, freelancer, orders[3]).json()["code"] == "daily_bid_limit"
    with server.db.write() as conn:
        conn.execute(
            update(users).where(users.c.id == freelancer["id"]).values(verification="approved")
        )
    assert bid_on(server, freelancer, orders[3]).status_code == 201


def test_withdrawn_bids_still_count_against_the_daily_limit(sqlite_server: Server) -> None:
    sqlite_server.settings.unverified_bids_per_day = 1
    client, freelancer = sqlite_server.register("client"), sqlite_server.register("freelancer")
    order = post_order(sqlite_server, client)
    bid = place_bid(sqlite_server, freelancer, order["id"])
    sqlite_server.request("POST", f"/v1/bids/{bid['id']}/withdraw", freelancer["token"])
    assert bid_on(sqlite_server, freelancer, order["id"]).json()["code"] == "daily_bid_limit"


# ---- the award ----------------------------------------------------------------------------


def test_the_award_declines_the_others_and_creates_the_milestone(server: Server) -> None:
    client = server.register("client")
    winner, loser = server.register("freelancer"), server.register("freelancer")
    order = post_order(server, client)
    winning = place_bid(server, winner, order["id"], amount_fen=95_000)
    losing = place_bid(server, loser, order["id"], amount_fen=70_000)
    awarded = award(server, client, order["id"], winning["id"])
    assert awarded["status"] == "awarded"
    assert (awarded["awarded_bid_id"], awarded["freelancer_id"]) == (winning["id"], winner["id"])
    assert awarded["bid_count"] == 1
    statuses = {
        bid["id"]: bid["status"]
        for bid in server.request("GET", f"/v1/orders/{order['id']}/bids", client["token"]).json()
    }
    assert statuses == {winning["id"]: "awarded", losing["id"]: "declined"}
    with server.db.read() as conn:
        made = conn.execute(select(milestones).where(milestones.c.order_id == order["id"])).all()
    assert [(m.title, m.amount_fen, m.status) for m in made] == [("全部工作", 95_000, "created")]
    milestone_change = changes_of(server, "milestone", made[0].id)[0]
    assert milestone_change["audience"] == {client["id"], winner["id"]}
    assert changes_of(server, "bid", losing["id"])[-1]["payload"]["status"] == "declined"
    followed, closed = changes_of(server, "order", order["id"])[-2:]
    assert followed == {
        "payload": awarded,
        "public": False,
        "audience": {client["id"], winner["id"]},
    }
    assert closed["audience"] == {loser["id"]} and closed["payload"]["closed_to_me"] is True


def test_only_the_orders_client_awards_a_submitted_bid_of_that_order(
    sqlite_server: Server,
) -> None:
    server = sqlite_server
    client, freelancer = server.register("client"), server.register("freelancer")
    order, other_order = post_order(server, client), post_order(server, client)
    bid = place_bid(server, freelancer, order["id"])
    elsewhere = place_bid(server, freelancer, other_order["id"])

    def award_as(user: dict[str, Any], bid_id: str) -> Any:
        return server.request(
            "POST", f"/v1/orders/{order['id']}/award", user["token"], json={"bid_id": bid_id}
        )

    assert award_as(freelancer, bid["id"]).status_code == 404
    assert award_as(server.register("client"), bid["id"]).status_code == 404
    assert award_as(client, elsewhere["id"]).status_code == 404
    assert award_as(client, str(uuid.uuid4())).status_code == 404
    assert award_as(client, "no-such-bid").status_code == 422  # a bid_id is a UUID, as in a push
    server.request("POST", f"/v1/bids/{bid['id']}/withdraw", freelancer["token"])
    assert award_as(client, bid["id"]).json()["code"] == "bid_withdrawn"
    again = place_bid(server, freelancer, order["id"])
    assert award_as(client, again["id"]).status_code == 200
    assert award_as(client, again["id"]).json()["code"] == "order_awarded"
    response = server.request(
        "POST",
        f"/v1/orders/{order['id']}/award",
        client["token"],
        json={"bid_id": bid["id"], "status": "x"},
    )
    assert response.status_code == 422
    with server.db.read() as conn:
        count = len(
            conn.execute(select(milestones.c.id).where(milestones.c.order_id == order["id"])).all()
        )
    assert count == 1
    with server.db.read() as conn:
        assert conn.scalar(select(bids.c.status).where(bids.c.id == elsewhere["id"])) == "submitted"


def test_an_award_sends_as_many_statements_whatever_the_number_of_bids_declined(
    server: Server,
) -> None:
    """The others are declined in one UPDATE … RETURNING, the winner's row comes back from
    its own: 2 losing bids or 6, the award's statements are the same count."""

    def statements_of_an_award(losers: int) -> int:
        client = server.register("client")
        order = post_order(server, client)
        winning = place_bid(server, server.register("freelancer"), order["id"])
        for _ in range(losers):
            place_bid(server, server.register("freelancer"), order["id"])
        with Statements(server.db) as sent:
            award(server, client, order["id"], winning["id"])
        statuses = {
            bid["status"]
            for bid in server.request(
                "GET", f"/v1/orders/{order['id']}/bids", client["token"]
            ).json()
        }
        assert statuses == {"awarded", "declined"}
        return len(sent)

    assert statements_of_an_award(2) == statements_of_an_award(6)
