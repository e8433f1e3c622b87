"""Closing an account (POST /v1/me/delete; security.md, privacy): personal data anonymised
and the account signed out for good, money records kept; refused while work is under way or a
balance is left, and with 2FA on only with a code."""

from __future__ import annotations

import json
from typing import Any

import pyotp
from sqlalchemy import select, text

from jiedan_cli.server.db.tables import change_log, orders, profiles, users
from tests.server.conftest import Server
from tests.server.escrow_flow import completed, funded, ok
from tests.server.market import place_bid, post_order


def close(server: Server, user: dict[str, Any], **body: Any) -> Any:
    body = {"password": "correct horse 42", **body}
    return server.request("POST", "/v1/me/delete", user["token"], json=body)


def test_closing_anonymises_signs_out_and_keeps_the_records(server: Server) -> None:
    user, client = server.register("both"), server.register("client")
    mine = post_order(server, user)
    theirs = post_order(server, client)
    bid = place_bid(server, user, theirs["id"])
    ok(server.request("PATCH", "/v1/me/profile", user["token"], json={"bio": "十年经验"}))

    closed = ok(close(server, user))
    assert closed["status"] == "deleted"
    assert server.request("GET", "/v1/me", user["token"]).status_code == 401
    login = {"email": user["email"], "password": "correct horse 42"}
    assert server.client.post("/v1/auth/login", json=login).status_code == 401

    assert server.request("GET", f"/v1/profiles/{user['id']}", client["token"]).status_code == 404
    with server.db.read() as conn:
        row = conn.execute(select(users).where(users.c.id == user["id"])).one()
        profile = conn.execute(select(profiles).where(profiles.c.user_id == user["id"])).one()
    assert (row.name, row.status, row.email.endswith("@deleted.invalid")) == (
        "已注销用户",
        "deleted",
        True,
    )
    assert (profile.bio, profile.skills) == ("", [])
    with server.db.read() as conn:  # the open order went with the account
        status = conn.scalar(select(orders.c.status).where(orders.c.id == mine["id"]))
    assert status == "cancelled"
    bids = server.request("GET", f"/v1/orders/{theirs['id']}/bids", client["token"]).json()
    assert [(b["id"], b["status"]) for b in bids] == [(bid["id"], "withdrawn")]


def test_closing_waits_for_work_under_way_and_money_left(server: Server) -> None:
    _client, freelancer, _order = funded(server)
    busy = close(server, freelancer)
    assert busy.status_code == 409 and busy.json()["code"] == "account_busy"

    _client, paid, _order = completed(server)
    left = close(server, paid)
    assert left.status_code == 409 and left.json()["code"] == "balance_left"
    assert ok(server.request("GET", "/v1/me", paid["token"]))["email"] == paid["email"]


def test_with_two_factor_on_closing_needs_a_code(server: Server) -> None:
    user = server.register("freelancer")
    secret = ok(
        server.request(
            "POST", "/v1/auth/2fa/enable", user["token"], json={"password": "correct horse 42"}
        )
    )["secret"]
    code = pyotp.TOTP(secret).at(server.clock.now)
    ok(server.request("POST", "/v1/auth/2fa/confirm", user["token"], json={"otp": code}))
    server.clock.advance(seconds=30)
    assert close(server, user).status_code == 401
    assert ok(close(server, user, otp=pyotp.TOTP(secret).at(server.clock.now)))["status"] == (
        "deleted"
    )


def test_closing_scrubs_the_change_log_of_the_email_the_name_and_the_profile(
    server: Server,
) -> None:
    """The attack: after `account delete` the old e-mail, name, bio and city were still in
    change_log payloads (the user's own `user` and `profile` changes). Every payload is
    grepped after closing an account that did a bit of everything."""
    user = server.register("both", name="隐私测试员甲乙")
    client = server.register("client")
    profile = {"bio": "独立设计师，擅长品牌视觉", "city": "杭州西溪", "skills": ["品牌设计师甲"]}
    ok(server.request("PATCH", "/v1/me/profile", user["token"], json=profile))
    ok(
        server.request(
            "POST", "/v1/me/portfolio", user["token"], json={"title": "作品集甲乙丙", "url": None}
        ),
        201,
    )
    post_order(server, user)  # open: cancelled by the closing
    client, _freelancer, order = completed(server, client=client, freelancer=user)
    for author in (client, user):
        ok(
            server.request(
                "POST", f"/v1/orders/{order['id']}/reviews", author["token"], json={"stars": 5}
            ),
            201,
        )
    available = ok(server.request("GET", "/v1/earnings/summary", user["token"]))["available_fen"]
    withdraw = {"amount_fen": available}
    ok(server.request("POST", "/v1/earnings/withdraw", user["token"], json=withdraw), 201)
    assert ok(close(server, user))["status"] == "deleted"

    with server.db.read() as conn:
        payloads = [
            json.dumps(payload, ensure_ascii=False)
            for payload in conn.execute(select(change_log.c.payload)).scalars()
        ]
        raw = conn.execute(text("SELECT payload FROM change_log")).scalars().all()
    personal = [user["email"], "隐私测试员甲乙", profile["bio"], profile["city"]]
    personal += ["品牌设计师甲", "作品集甲乙丙"]  # a skill, a portfolio item's title
    assert any(user["id"] in p for p in payloads)  # the records stay
    for value in personal:
        found = [p for p in payloads if value in p]
        assert not found, f"{value} still in {found[:1]}"
        assert not [r for r in raw if r and value in str(r)]
    assert any("已注销用户" in p for p in payloads)
