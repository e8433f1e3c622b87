"""Every list route answers a page at a time (issue 9, item 13): `limit` up to a documented
maximum (more: 422), `after` a page's `X-Next-Cursor`, and walking the pages hands out every
row once, in the list's order — also when newer rows are written during the walk."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from tests.server.conftest import Server
from tests.server.escrow_flow import act, awarded, completed, deliver, funded, ok, staff
from tests.server.market import place_bid, post_order
from tests.server.scenario import VERIFICATION

# The risk engine records every action and holds none (conftest CALM): these accounts fund and
# complete many orders in seconds, which it rightly holds; what it holds is test_holds.py's.
pytestmark = pytest.mark.calm


Items = Callable[[Any], list[dict[str, Any]]]
PASSWORD = "correct horse 42"


def whole(body: Any) -> list[dict[str, Any]]:
    return list(body)


def inside(body: Any) -> list[dict[str, Any]]:
    return list(body["items"])


def walk(
    server: Server,
    path: str,
    token: str | None,
    limit: int,
    items: Items = whole,
    between: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Every page of `path` in turn; `between` runs after the first."""
    seen: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(50):
        params: dict[str, Any] = {"limit": limit, **({"after": after} if after else {})}
        answer = server.request("GET", path, token, params=params)
        assert answer.status_code == 200, answer.text
        page = items(answer.json())
        assert len(page) <= limit
        seen += page
        after = answer.headers.get("x-next-cursor")
        if after is None:
            return seen
        assert len(page) == limit
        if between is not None:
            between()
            between = None
    raise AssertionError(f"{path}: no last page")


def check_pages(
    server: Server,
    path: str,
    token: str | None,
    expected: list[str],
    *,
    limit: int,
    maximum: int = 500,
    items: Items = whole,
) -> None:
    """The pages of `limit` hold the `expected` ids, each once, in that order; one page of
    the maximum holds them all; a larger limit and a made-up cursor are 422."""
    assert len(expected) > 2 * limit  # three pages at least
    walked = [item["id"] for item in walk(server, path, token, limit, items)]
    assert walked == expected
    at_once = server.request("GET", path, token, params={"limit": maximum})
    assert at_once.status_code == 200, at_once.text
    assert [item["id"] for item in items(at_once.json())] == expected
    assert "x-next-cursor" not in at_once.headers
    too_many = server.request("GET", path, token, params={"limit": maximum + 1})
    assert too_many.status_code == 422, too_many.text
    for forged in ("not a cursor", base64.urlsafe_b64encode(b'["x", 1, 2]').decode(), "W10"):
        refused = server.request("GET", path, token, params={"after": forged})
        assert refused.status_code == 422, (forged, refused.text)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


def oldest_first(rows: list[dict[str, Any]]) -> list[str]:
    return ids(sorted(rows, key=lambda row: (row["created_at"], row["id"])))


def newest_first(rows: list[dict[str, Any]]) -> list[str]:
    return oldest_first(rows)[::-1]


def test_the_bids_on_an_order(server: Server) -> None:
    client = server.register("client")
    order = post_order(server, client)
    made = []
    for n in range(7):
        made.append(place_bid(server, server.register("freelancer"), order["id"]))
        if n % 2:  # pairs at one instant: the id decides between them
            server.clock.advance(seconds=1)
    path = f"/v1/orders/{order['id']}/bids"
    check_pages(server, path, client["token"], oldest_first(made), limit=3)

    # a bid placed during a walk comes at its end, and nothing twice
    def newer() -> None:
        server.clock.advance(seconds=1)
        made.append(place_bid(server, server.register("freelancer"), order["id"]))

    walked = walk(server, path, client["token"], 3, between=newer)
    assert ids(walked) == oldest_first(made) and len(made) == 8


def test_my_bids(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    made = []
    for n in range(7):
        made.append(place_bid(server, freelancer, post_order(server, client)["id"]))
        if n % 3:
            server.clock.advance(seconds=1)
    check_pages(server, "/v1/bids", freelancer["token"], newest_first(made), limit=2)

    # newest first: a bid placed during a walk is not in it, and nothing comes twice
    def newer() -> None:
        server.clock.advance(seconds=1)
        place_bid(server, freelancer, post_order(server, client)["id"])

    walked = walk(server, "/v1/bids", freelancer["token"], 2, between=newer)
    assert ids(walked) == newest_first(made)


def test_the_milestones_of_an_order(server: Server) -> None:
    client, freelancer, order = awarded(server)
    path = f"/v1/orders/{order['id']}/milestones"
    for n in range(6):
        body = {"title": f"第{n}阶段", "amount_fen": 1_000}
        ok(server.request("POST", path, client["token"], json=body), 201)
    everything = ok_list(server.request("GET", path, freelancer["token"]))
    assert [m["position"] for m in everything] == sorted(m["position"] for m in everything)
    check_pages(server, path, freelancer["token"], ids(everything), limit=2)


def test_the_deliveries_of_an_order(server: Server) -> None:
    client, freelancer, order = funded(server)
    made = []
    for n in range(5):
        made.append(deliver(server, freelancer, order["id"]))
        if n < 4:
            ok(act(server, client, order["id"], "revise", note=f"第{n}次修改"))
        server.clock.advance(seconds=1)
    path = f"/v1/orders/{order['id']}/deliveries"
    check_pages(server, path, client["token"], oldest_first(made), limit=2)


def test_the_ledger(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    for n in range(5):
        completed(server, client=client, freelancer=freelancer)
        if n % 2:
            server.clock.advance(seconds=1)
    entries = ok_list(server.request("GET", "/v1/earnings/ledger", freelancer["token"]))
    # paged by transfer: a transfer between two of the caller's accounts is its two lines
    transfers = list(dict.fromkeys(entry["id"] for entry in entries))
    assert len(transfers) > 4
    walked = walk(server, "/v1/earnings/ledger", freelancer["token"], 2)
    assert walked == entries
    assert [e["created_at"] for e in walked] == sorted(e["created_at"] for e in walked)
    path = "/v1/earnings/ledger"
    assert (
        server.request("GET", path, freelancer["token"], params={"limit": 501}).status_code == 422
    )


def test_the_points_history(server: Server) -> None:
    freelancer = server.register("freelancer")
    for _ in range(7):
        ok(server.request("POST", "/v1/points/checkin", freelancer["token"]))
        server.clock.advance(days=1)
    history = ok_list(server.request("GET", "/v1/points/history", freelancer["token"]))
    assert len(history) >= 7
    check_pages(server, "/v1/points/history", freelancer["token"], newest_first(history), limit=3)


def test_the_verifications_waiting_for_review(server: Server) -> None:
    waiting = []
    for _ in range(7):
        user = server.register("freelancer")
        ok(server.request("POST", "/v1/me/verification", user["token"], json=VERIFICATION), 201)
        waiting.append(user["id"])
        server.clock.advance(seconds=1)
    reviewer = staff(server, "reviewer")
    walked = walk(server, "/v1/staff/verifications", reviewer["token"], 3)
    assert [v["user_id"] for v in walked] == waiting
    at_once = ok_list(server.request("GET", "/v1/staff/verifications", reviewer["token"]))
    assert walked == at_once
    path = "/v1/staff/verifications"
    assert server.request("GET", path, reviewer["token"], params={"limit": 501}).status_code == 422


def test_the_reviews_of_a_user(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    made = []
    for n in range(5):
        _, _, order = completed(server, client=client, freelancer=freelancer)
        body = {"stars": 1 + n % 5, "text": f"第{n}单"}
        path = f"/v1/orders/{order['id']}/reviews"
        made.append(ok(server.request("POST", path, client["token"], json=body), 201))
        if n % 2:
            server.clock.advance(seconds=1)
    server.clock.advance(days=server.settings.review_blind_days + 1)
    path = f"/v1/users/{freelancer['id']}/reviews"
    check_pages(server, path, None, newest_first(made), limit=2, maximum=100, items=inside)


def test_my_portfolio(server: Server) -> None:
    user = server.register("freelancer")
    made = []
    for n in range(7):
        body = {"title": f"作品{n}", "public": n % 2 == 0}
        made.append(ok(server.request("POST", "/v1/me/portfolio", user["token"], json=body), 201))
        if n % 2:
            server.clock.advance(seconds=1)
    check_pages(
        server, "/v1/me/portfolio", user["token"], oldest_first(made), limit=3, items=inside
    )


def test_my_sessions(server: Server) -> None:
    user = server.register()
    for n in range(6):
        login = {"email": user["email"], "password": PASSWORD, "device": f"设备{n}"}
        ok(server.client.post("/v1/auth/login", json=login))
        if n % 2:
            server.clock.advance(seconds=1)
    listed = ok_list(server.request("GET", "/v1/auth/sessions", user["token"]))
    assert len(listed) == 7
    check_pages(server, "/v1/auth/sessions", user["token"], newest_first(listed), limit=2)


def ok_list(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert "x-next-cursor" not in response.headers
    return list(response.json())


def encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "=",
        encoded("[[]]"),
        encoded('["2026-11-25T09:00:00","a"]'),  # no offset
        encoded('["0001-01-01T00:00:00+05:00","a"]'),  # before year 1 in UTC
        encoded('["2026-11-25T09:00:00+00:00",1]'),  # a number for an id
        encoded('["2026-11-25T09:00:00+00:00","a","b"]'),
    ],
)
def test_a_cursor_not_of_the_list_is_422(sqlite_server: Server, cursor: str) -> None:
    """Empty, not base64, another shape, a time without an offset or out of range: each
    refused, none a 500."""
    user = sqlite_server.register()
    answer = sqlite_server.request("GET", "/v1/bids", user["token"], params={"after": cursor})
    assert answer.status_code == 422, answer.text
