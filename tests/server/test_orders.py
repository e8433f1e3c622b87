"""Orders: posting, editing, cancelling, who may read what, listing with filters and pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.server.db.tables import bids, milestones
from tests.server.conftest import Server
from tests.server.market import (
    award,
    awarded_order,
    changes_of,
    order_body,
    place_bid,
    post_order,
)

# The risk engine records every action and holds none (conftest CALM): these accounts post hundreds
# of orders, some large, in seconds, which it rightly holds; what it holds is test_holds.py's.
pytestmark = pytest.mark.calm


ORDER_FIELDS = {
    "id",
    "title",
    "description",
    "category",
    "tags",
    "budget_min_fen",
    "budget_max_fen",
    "currency",
    "status",
    "client_id",
    "created_at",
    "updated_at",
    "deadline",
    "bid_count",
    "awarded_bid_id",
    "freelancer_id",
    "location",
    "my_bid",
    "closed_to_me",
}


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# ---- posting ------------------------------------------------------------------------------


def test_a_client_posts_an_order_that_anyone_can_read(server: Server) -> None:
    client = server.register("client")
    order = post_order(
        server,
        client,
        deadline="2026-12-31",
        location={"lat": 31.2304, "lon": 121.4737, "radius_km": 15},
    )
    assert set(order) == ORDER_FIELDS
    assert order["status"] == "open"
    assert order["client_id"] == client["id"]
    assert order["currency"] == "CNY"
    assert order["tags"] == ["logo", "品牌"]
    assert order["deadline"] == "2026-12-31"
    assert order["location"] == {"lat": 31.2304, "lon": 121.4737, "radius_km": 15.0}
    assert order["bid_count"] == 0
    assert order["created_at"] == "2026-11-25T09:00:00Z"
    anonymous = server.request("GET", f"/v1/orders/{order['id']}")
    assert anonymous.status_code == 200
    assert anonymous.json() == order
    assert changes_of(server, "order", order["id"])[-1] == {
        "payload": order,
        "public": True,
        "audience": set(),
    }


def test_an_order_made_offline_keeps_its_id(sqlite_server: Server) -> None:
    client = sqlite_server.register("client")
    made = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    assert post_order(sqlite_server, client, id=made)["id"] == made
    again = sqlite_server.request("POST", "/v1/orders", client["token"], json=order_body(id=made))
    assert again.status_code == 422


def test_a_freelancer_only_account_cannot_post(sqlite_server: Server) -> None:
    freelancer = sqlite_server.register("freelancer")
    response = sqlite_server.request("POST", "/v1/orders", freelancer["token"], json=order_body())
    assert response.status_code == 403


def test_posting_needs_a_signed_in_caller(sqlite_server: Server) -> None:
    assert sqlite_server.request("POST", "/v1/orders", json=order_body()).status_code == 401


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "长" * 201},
        {"description": "x" * 20_001},
        {"category": "cooking"},
        {"tags": [f"t{i}" for i in range(11)]},
        {"tags": ["x" * 31]},
        {"tags": [""]},
        {"budget_min_fen": 0},
        {"budget_min_fen": 200_000, "budget_max_fen": 100_000},
        {"budget_max_fen": 10**13},
        {"budget_min_fen": 1.5},
        {"deadline": "2026-11-24"},
        {"deadline": "2026-13-01"},
        {"location": {"lat": 31.2, "lon": 121.5}},
        {"location": {"lat": 91, "lon": 121.5, "radius_km": 5}},
        {"location": {"lat": 31.2, "lon": 121.5, "radius_km": 0}},
    ],
)
def test_bad_order_fields_are_422(sqlite_server: Server, overrides: dict[str, Any]) -> None:
    client = sqlite_server.register("client")
    response = sqlite_server.request(
        "POST", "/v1/orders", client["token"], json=order_body(**overrides)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_todays_deadline_is_allowed(sqlite_server: Server) -> None:
    client = sqlite_server.register("client")
    assert post_order(sqlite_server, client, deadline="2026-11-25")["deadline"] == "2026-11-25"


@pytest.mark.parametrize(
    "field",
    [
        {"status": "completed"},
        {"bid_count": 5},
        {"client_id": "someone"},
        {"freelancer_id": "someone"},
        {"awarded_bid_id": "x"},
    ],
)
def test_post_order_refuses_fields_the_client_may_not_set(
    sqlite_server: Server, field: dict[str, Any]
) -> None:
    client = sqlite_server.register("client")
    response = sqlite_server.request(
        "POST", "/v1/orders", client["token"], json=order_body(**field)
    )
    assert response.status_code == 422


# ---- editing and cancelling ---------------------------------------------------------------


def test_the_client_edits_an_open_order(server: Server) -> None:
    client = server.register("client")
    order = post_order(
        server, client, deadline="2026-12-31", location={"lat": 30, "lon": 120, "radius_km": 5}
    )
    server.clock.advance(minutes=5)
    response = server.request(
        "PATCH",
        f"/v1/orders/{order['id']}",
        client["token"],
        json={"title": "新标题", "tags": ["海报"], "deadline": None, "location": None},
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert (edited["title"], edited["tags"], edited["deadline"]) == ("新标题", ["海报"], None)
    assert edited["location"] is None
    assert edited["description"] == order["description"]  # untouched
    assert edited["updated_at"] == "2026-11-25T09:05:00Z"
    assert server.request("GET", f"/v1/orders/{order['id']}").json() == edited
    assert changes_of(server, "order", order["id"])[-1]["payload"] == edited


def test_an_edit_is_checked_against_the_stored_budget(sqlite_server: Server) -> None:
    client = sqlite_server.register("client")
    order = post_order(sqlite_server, client)  # 500 .. 1200 yuan
    response = sqlite_server.request(
        "PATCH", f"/v1/orders/{order['id']}", client["token"], json={"budget_min_fen": 200_000}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "patch", [{"status": "completed"}, {"bid_count": 9}, {"title": None}, {"client_id": "x"}]
)
def test_patch_refuses_fields_the_client_may_not_set(
    sqlite_server: Server, patch: dict[str, Any]
) -> None:
    client = sqlite_server.register("client")
    order = post_order(sqlite_server, client)
    response = sqlite_server.request(
        "PATCH", f"/v1/orders/{order['id']}", client["token"], json=patch
    )
    assert response.status_code == 422


def test_another_users_order_cannot_be_edited_or_cancelled(sqlite_server: Server) -> None:
    client, other = sqlite_server.register("client"), sqlite_server.register("both")
    order = post_order(sqlite_server, client)
    path = f"/v1/orders/{order['id']}"
    assert (
        sqlite_server.request("PATCH", path, other["token"], json={"title": "x"}).status_code == 404
    )
    assert sqlite_server.request("POST", f"{path}/cancel", other["token"]).status_code == 404
    assert sqlite_server.request("GET", path).json()["title"] == order["title"]


def test_an_awarded_order_cannot_be_edited(sqlite_server: Server) -> None:
    client, _freelancer, order = awarded_order(sqlite_server)
    response = sqlite_server.request(
        "PATCH", f"/v1/orders/{order['id']}", client["token"], json={"title": "改"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "order_awarded"


def test_cancelling_an_open_order_declines_its_bids(server: Server) -> None:
    client = server.register("client")
    first, second = server.register("freelancer"), server.register("freelancer")
    order = post_order(server, client)
    bid_ids = [place_bid(server, f, order["id"])["id"] for f in (first, second)]
    response = server.request(
        "POST", f"/v1/orders/{order['id']}/cancel", client["token"], json={"note": "不需要了"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["bid_count"] == 0
    with server.db.read() as conn:
        statuses = conn.execute(select(bids.c.status).where(bids.c.id.in_(bid_ids))).scalars()
        assert set(statuses) == {"declined"}
    assert changes_of(server, "bid", bid_ids[0])[-1]["audience"] == {first["id"], client["id"]}
    again = server.request("POST", f"/v1/orders/{order['id']}/cancel", client["token"])
    assert again.status_code == 409


def test_cancelling_an_awarded_order_cancels_its_unfunded_milestone(server: Server) -> None:
    client, _freelancer, order = awarded_order(server)
    response = server.request("POST", f"/v1/orders/{order['id']}/cancel", client["token"])
    assert response.status_code == 200, response.text
    with server.db.read() as conn:
        states = conn.execute(
            select(milestones.c.status).where(milestones.c.order_id == order["id"])
        ).scalars()
        assert list(states) == ["cancelled"]


def test_an_order_in_progress_cannot_be_cancelled_by_the_client(sqlite_server: Server) -> None:
    from tests.server.market import set_order_status

    client, _freelancer, order = awarded_order(sqlite_server)
    set_order_status(sqlite_server, order["id"], "in_progress")
    response = sqlite_server.request("POST", f"/v1/orders/{order['id']}/cancel", client["token"])
    assert response.status_code == 409


# ---- who may read a non-open order --------------------------------------------------------


def test_a_non_open_order_is_seen_only_by_the_people_in_it(server: Server) -> None:
    client = server.register("client")
    winner, loser = server.register("freelancer"), server.register("freelancer")
    stranger = server.register("both")
    order = post_order(server, client)
    winning = place_bid(server, winner, order["id"])
    place_bid(server, loser, order["id"])
    award(server, client, order["id"], winning["id"])
    path = f"/v1/orders/{order['id']}"
    assert server.request("GET", path).status_code == 404
    assert server.request("GET", path, stranger["token"]).status_code == 404
    for reader in (client, winner, loser):
        assert server.request("GET", path, reader["token"]).status_code == 200
    assert server.request("GET", "/v1/orders/no-such-order").status_code == 404


def test_my_bid_is_shown_only_to_its_author(sqlite_server: Server) -> None:
    client, freelancer = sqlite_server.register("client"), sqlite_server.register("freelancer")
    order = post_order(sqlite_server, client)
    bid = place_bid(sqlite_server, freelancer, order["id"])
    path = f"/v1/orders/{order['id']}"
    assert sqlite_server.request("GET", path, freelancer["token"]).json()["my_bid"] == bid
    assert sqlite_server.request("GET", path, client["token"]).json()["my_bid"] is None
    seen = sqlite_server.request("GET", path).json()
    assert (seen["my_bid"], seen["bid_count"]) == (None, 1)
    listed = sqlite_server.request("GET", "/v1/orders", freelancer["token"]).json()["items"]
    assert listed[0]["my_bid"] == bid


# ---- listing ------------------------------------------------------------------------------


def test_anonymous_callers_list_open_orders_newest_first(sqlite_server: Server) -> None:
    client = sqlite_server.register("client")
    first = post_order(sqlite_server, client, title="第一")
    sqlite_server.clock.advance(minutes=1)
    second = post_order(sqlite_server, client, title="第二")
    _c, _f, awarded = awarded_order(sqlite_server)
    listed = sqlite_server.request("GET", "/v1/orders")
    assert ids(listed) == [second["id"], first["id"]]
    assert listed.json()["next_cursor"] is None
    assert awarded["id"] not in ids(listed)


def test_pages_walk_every_order_exactly_once(server: Server) -> None:
    client = server.register("client")
    posted = []
    for n in range(23):
        if n % 3 == 0:  # several orders share a created_at: the id breaks the tie
            server.clock.advance(seconds=1)
        posted.append(post_order(server, client, title=f"订单 {n}")["id"])
    expected = sorted(
        posted,
        key=lambda i: (server.request("GET", f"/v1/orders/{i}").json()["created_at"], i),
        reverse=True,
    )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = server.request("GET", "/v1/orders", params=params).json()
        assert len(page["items"]) <= 5
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


def test_a_cursor_survives_sub_second_times(sqlite_server: Server) -> None:
    client = sqlite_server.register("client")
    for _ in range(3):
        sqlite_server.clock.advance(microseconds=250_000)
        post_order(sqlite_server, client)
    first = sqlite_server.request("GET", "/v1/orders", params={"limit": 2}).json()
    rest = sqlite_server.request(
        "GET", "/v1/orders", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert len(first["items"]) == 2 and len(rest["items"]) == 1
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"limit": 0},
        {"limit": 101},
        {"status": "finished"},
        {"category": "cooking"},
        {"lat": 30, "lon": 120},
        {"lat": 30, "radius_km": 5},
        {"radius_km": -1, "lat": 30, "lon": 120},
    ],
)
def test_bad_list_parameters_are_422(sqlite_server: Server, params: dict[str, Any]) -> None:
    assert sqlite_server.request("GET", "/v1/orders", params=params).status_code == 422


def test_filters_by_category_tag_and_budget_overlap(server: Server) -> None:
    client = server.register("client")
    logo = post_order(server, client, tags=["logo"], budget_min_fen=50_000, budget_max_fen=80_000)
    app = post_order(
        server,
        client,
        category="development",
        tags=["小程序", "logo设计"],
        budget_min_fen=500_000,
        budget_max_fen=900_000,
    )
    percent = post_order(server, client, tags=["100%_done"], budget_min_fen=1, budget_max_fen=2)

    def listed(**params: Any) -> set[str]:
        return set(ids(server.request("GET", "/v1/orders", params=params)))

    assert listed(category="development") == {app["id"]}
    assert listed(tag="logo") == {logo["id"]}  # exact tags: "logo设计" is another tag
    assert listed(tag="小程序") == {app["id"]}
    assert listed(tag="100%_done") == {percent["id"]}
    assert listed(tag="100") == set()
    assert listed(budget_min_fen=70_000, budget_max_fen=600_000) == {logo["id"], app["id"]}
    assert listed(budget_min_fen=81_000) == {app["id"]}
    assert listed(budget_max_fen=49_999) == {percent["id"]}


def test_near_keeps_orders_within_the_radius(server: Server) -> None:
    client = server.register("client")
    people_square = (31.2304, 121.4737)  # 人民广场, Shanghai

    def at(lat: float, lon: float) -> str:
        place = {"lat": lat, "lon": lon, "radius_km": 5}
        return str(post_order(server, client, category="repair", location=place)["id"])

    jingan = at(31.2235, 121.4453)  # ≈ 2.8 km
    pudong = at(31.2397, 121.4998)  # ≈ 2.7 km
    hongqiao = at(31.1979, 121.3363)  # ≈ 13.6 km
    beijing = at(39.9042, 116.4074)
    post_order(server, client)  # no place: never near anything
    lat, lon = people_square

    def near(radius_km: float) -> set[str]:
        params = {"lat": lat, "lon": lon, "radius_km": radius_km}
        return set(ids(server.request("GET", "/v1/orders", params=params)))

    assert near(5) == {jingan, pudong}
    assert near(15) == {jingan, pudong, hongqiao}
    assert beijing not in near(1_000)  # ≈ 1,067 km away
    from_tiananmen = {"lat": 39.9087, "lon": 116.3975, "radius_km": 2}
    assert ids(server.request("GET", "/v1/orders", params=from_tiananmen)) == [beijing]
    # Corner of the bounding box: inside the box, outside the circle.
    corner = at(31.2304 + 0.040, 121.4737 + 0.047)  # ≈ 4.4 km north, 4.5 km east → 6.3 km
    assert corner not in near(5)


def test_near_and_tag_pages_read_past_rows_that_fail_the_exact_test(
    sqlite_server: Server,
) -> None:
    client = sqlite_server.register("client")
    wanted = [post_order(sqlite_server, client, tags=["logo"])["id"] for _ in range(3)]
    for _ in range(250):  # more than one scan batch of near misses, newer than the hits
        post_order(sqlite_server, client, tags=["logo设计"])
    found, cursor = [], None
    while True:
        params: dict[str, Any] = {"tag": "logo", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = sqlite_server.request("GET", "/v1/orders", params=params).json()
        found += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(found) == sorted(wanted)


def test_status_lists_only_what_the_caller_may_see(server: Server) -> None:
    client, freelancer, order = awarded_order(server)
    stranger = server.register("both")
    open_one = post_order(server, client)

    def listed(token: str | None, **params: Any) -> list[str]:
        return ids(server.request("GET", "/v1/orders", token, params=params))

    assert listed(None, status="awarded") == []
    assert listed(stranger["token"], status="awarded") == []
    assert listed(client["token"], status="awarded") == [order["id"]]
    assert listed(freelancer["token"], status="awarded") == [order["id"]]
    assert listed(None, status="all") == [open_one["id"]]
    assert listed(client["token"], status="all") == [open_one["id"], order["id"]]


def test_mine_lists_orders_i_posted_bid_on_or_won(server: Server) -> None:
    client = server.register("client")
    freelancer = server.register("freelancer")
    other_client = server.register("client")
    mine_posted = post_order(server, client)
    bid_on = post_order(server, other_client)
    place_bid(server, freelancer, bid_on["id"])
    post_order(server, other_client)  # nobody's but the other client's

    def mine(user: dict[str, Any]) -> set[str]:
        params = {"mine": "true", "status": "all"}
        return set(ids(server.request("GET", "/v1/orders", user["token"], params=params)))

    assert mine(client) == {mine_posted["id"]}
    assert mine(freelancer) == {bid_on["id"]}
    assert server.request("GET", "/v1/orders", params={"mine": "true"}).status_code == 401


def test_nul_characters_are_bad_input_not_a_server_error(server: Server) -> None:
    client = server.register("client")
    body = order_body(title="标题\x00")
    assert server.request("POST", "/v1/orders", client["token"], json=body).status_code == 422
    assert server.request("GET", "/v1/orders/a%00b").status_code in (404, 422)
    nul_bid = server.request("GET", "/v1/bids", client["token"], params={"order_id": "a\x00"})
    assert nul_bid.status_code in (200, 422)
