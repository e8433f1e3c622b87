"""Profiles and portfolios: public reading, owner-only editing, private items stay private."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.server.db.tables import change_audience, change_log
from tests.server.conftest import Server


def patch_profile(server: Server, token: str, **fields: Any) -> Any:
    return server.request("PATCH", "/v1/me/profile", token, json=fields)


def add_item(server: Server, token: str, **fields: Any) -> Any:
    body = {"title": "Wedding shoot", "public": True, **fields}
    return server.request("POST", "/v1/me/portfolio", token, json=body)


def test_a_new_profile_is_empty_and_public(sqlite_server: Server) -> None:
    user = sqlite_server.register(name="王芳")
    response = sqlite_server.client.get(f"/v1/profiles/{user['id']}")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": user["id"],
        "name": "王芳",
        "skills": [],
        "bio": "",
        "city": None,
        "hourly_rate_fen": None,
        "currency": "CNY",
        "rating": {"count": 0, "average": None},
        "completed_count": 0,
        "verified": False,
        "joined_at": "2026-11-25T09:00:00Z",
        "dispute_count": 0,
        "tier": "regular",
        "tier_label": "普通",
        "badges": [],
        "portfolio": [],
        "updated_at": "2026-11-25T09:00:00Z",
    }


def test_the_owner_edits_their_profile(server: Server) -> None:
    user = server.register()
    server.clock.advance(minutes=5)
    response = patch_profile(
        server,
        user["token"],
        skills=["摄影", "修图", "摄影"],
        bio="十年婚礼摄影",
        city="杭州",
        lat=30.27,
        lon=120.15,
        hourly_rate_fen=30000,
    )
    assert response.status_code == 200, response.text
    mine = response.json()
    assert mine["skills"] == ["摄影", "修图"]
    assert (mine["city"], mine["lat"], mine["lon"]) == ("杭州", 30.27, 120.15)
    assert mine["hourly_rate_fen"] == 30000
    assert mine["updated_at"] == "2026-11-25T09:05:00Z"
    public = server.client.get(f"/v1/profiles/{user['id']}").json()
    assert public["bio"] == "十年婚礼摄影"
    assert "lat" not in public and "lon" not in public  # the exact location is the owner's


def test_a_partial_patch_leaves_other_fields(sqlite_server: Server) -> None:
    user = sqlite_server.register()
    patch_profile(sqlite_server, user["token"], bio="hello", city="上海")
    after = patch_profile(sqlite_server, user["token"], city=None).json()
    assert (after["bio"], after["city"]) == ("hello", None)


@pytest.mark.parametrize(
    "fields",
    [
        {"rating_count": 50},
        {"rating_sum": 250},
        {"completed_count": 9},
        {"roles": ["admin"]},
        {"user_id": "someone-else"},
        {"lat": 90.5, "lon": 0},
        {"lat": 0, "lon": -180.5},
        {"lat": 10},
        {"hourly_rate_fen": 0},
        {"hourly_rate_fen": -100},
        {"skills": ["x" * 51]},
        {"skills": [f"s{n}" for n in range(31)]},
        {"skills": [""]},
        {"skills": None},
        {"bio": "x" * 2001},
        {"lat": "north", "lon": 1},
    ],
)
def test_profile_patch_refuses_bad_or_protected_fields(
    sqlite_server: Server, fields: dict[str, Any]
) -> None:
    user = sqlite_server.register()
    response = patch_profile(sqlite_server, user["token"], **fields)
    assert response.status_code == 422, response.text
    profile = sqlite_server.client.get(f"/v1/profiles/{user['id']}").json()
    assert profile["rating"] == {"count": 0, "average": None}
    assert profile["updated_at"] == "2026-11-25T09:00:00Z"  # nothing was written


def test_editing_needs_a_session(sqlite_server: Server) -> None:
    assert sqlite_server.client.patch("/v1/me/profile", json={"bio": "x"}).status_code == 401
    assert sqlite_server.client.post("/v1/me/portfolio", json={"title": "x"}).status_code == 401
    assert sqlite_server.client.get("/v1/me/portfolio").status_code == 401


def test_unknown_profile_is_404(sqlite_server: Server) -> None:
    assert sqlite_server.client.get("/v1/profiles/no-such-user").status_code == 404


def test_private_portfolio_items_are_the_owners_only(server: Server) -> None:
    owner = server.register()
    stranger = server.register()
    public = add_item(server, owner["token"], title="Public set", url="https://example.com/a")
    private = add_item(server, owner["token"], title="Client proofs", public=False)
    assert public.status_code == private.status_code == 201, private.text
    assert private.json()["public"] is False

    def titles(token: str | None) -> list[str]:
        profile = server.request("GET", f"/v1/profiles/{owner['id']}", token).json()
        return [item["title"] for item in profile["portfolio"]]

    assert titles(None) == ["Public set"]
    assert titles(stranger["token"]) == ["Public set"]
    assert titles(owner["token"]) == ["Public set", "Client proofs"]
    mine = server.request("GET", "/v1/me/portfolio", owner["token"]).json()["items"]
    assert [item["id"] for item in mine] == [public.json()["id"], private.json()["id"]]
    assert server.request("GET", "/v1/me/portfolio", stranger["token"]).json() == {"items": []}


def test_removing_another_users_item_is_404(sqlite_server: Server) -> None:
    owner = sqlite_server.register()
    stranger = sqlite_server.register()
    item = add_item(sqlite_server, owner["token"]).json()
    path = f"/v1/me/portfolio/{item['id']}"
    assert sqlite_server.request("DELETE", path, stranger["token"]).status_code == 404
    assert sqlite_server.request("DELETE", path, owner["token"]).status_code == 204
    assert sqlite_server.request("DELETE", path, owner["token"]).status_code == 404
    assert sqlite_server.request("GET", "/v1/me/portfolio", owner["token"]).json() == {"items": []}


def test_a_client_made_item_id_is_idempotent(sqlite_server: Server) -> None:
    owner = sqlite_server.register()
    stranger = sqlite_server.register()
    item_id = "01a2120a-0000-7000-8000-000000000001"
    first = add_item(sqlite_server, owner["token"], id=item_id)
    again = add_item(sqlite_server, owner["token"], id=item_id)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert add_item(sqlite_server, stranger["token"], id=item_id).status_code == 409
    assert (
        len(sqlite_server.request("GET", "/v1/me/portfolio", owner["token"]).json()["items"]) == 1
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"url": "javascript:alert(1)"},
        {"url": "ftp://example.com/x"},
        {"public": "maybe"},
        {"user_id": "someone-else"},
        {"created_at": "2020-01-01T00:00:00Z"},
    ],
)
def test_portfolio_items_are_validated(sqlite_server: Server, fields: dict[str, Any]) -> None:
    user = sqlite_server.register()
    assert add_item(sqlite_server, user["token"], **fields).status_code == 422


def test_profile_changes_reach_only_the_owners_feed(server: Server) -> None:
    owner = server.register()
    stranger = server.register()
    patch_profile(server, owner["token"], bio="new bio")
    add_item(server, owner["token"], title="Secret", public=False)
    with server.db.read() as conn:
        rows = conn.execute(
            select(
                change_log.c.seq,
                change_log.c.payload,
                change_log.c.public,
                change_audience.c.user_id,
            )
            .join(change_audience, change_audience.c.seq == change_log.c.seq)
            .where(change_log.c.entity == "profile", change_log.c.entity_id == owner["id"])
            .order_by(change_log.c.seq)
        ).all()
    assert {r.user_id for r in rows} == {owner["id"]}
    assert not any(r.public for r in rows)
    assert rows[-1].payload["bio"] == "new bio"
    assert rows[-1].payload["portfolio"][0]["title"] == "Secret"
    assert stranger["id"] not in {r.user_id for r in rows}


def test_rating_average_comes_from_stored_counts(sqlite_server: Server) -> None:
    from sqlalchemy import update

    from jiedan_cli.server.db.tables import profiles

    user = sqlite_server.register()
    with sqlite_server.db.write() as conn:
        conn.execute(
            update(profiles)
            .where(profiles.c.user_id == user["id"])
            .values(rating_count=3, rating_sum=14, completed_count=3)
        )
    profile = sqlite_server.client.get(f"/v1/profiles/{user['id']}").json()
    assert profile["rating"] == {"count": 3, "average": 4.67}
    assert profile["completed_count"] == 3
