"""The daily check-in (签到): points for the streak it makes (base 5, one more a day in a row,
capped), once per day in China — a repeat, from another device or a retried sync, answers the
first entry — and an offline check-in counted for yesterday, but not earlier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jiedan_cli.domain.points import CHECKIN_BASE, CHECKIN_STREAK_CAP, checkin_day
from tests.server.conftest import Server
from tests.server.devices import Device
from tests.server.escrow_flow import ok


def check_in(server: Server, user: dict[str, Any], **body: Any) -> Any:
    return server.request("POST", "/v1/points/checkin", user["token"], json=body or None)


def balance(server: Server, user: dict[str, Any]) -> int:
    return int(ok(server.request("GET", "/v1/points", user["token"]))["balance"])


def _at_noon_in_china(server: Server) -> None:
    now = server.clock.now
    server.clock.now = datetime(now.year, now.month, now.day, 4, tzinfo=UTC)  # 12:00 in China


def test_checking_in_day_after_day_grows_the_streak_and_a_gap_resets_it(server: Server) -> None:
    user = server.register("freelancer")
    _at_noon_in_china(server)
    first = ok(check_in(server, user))
    assert (first["amount"], first["streak"], first["kind"]) == (CHECKIN_BASE, 1, "checkin")
    assert first["day"] == checkin_day(server.clock.now).isoformat()
    again = ok(check_in(server, user))  # the same day: the first entry, no more points
    assert again["id"] == first["id"] and balance(server, user) == CHECKIN_BASE

    server.clock.advance(days=1)
    assert (ok(check_in(server, user))["amount"], balance(server, user)) == (6, 11)
    server.clock.advance(days=2)  # a day missed
    assert ok(check_in(server, user))["streak"] == 1
    history = server.request("GET", "/v1/points/history", user["token"]).json()
    assert [e["kind"] for e in history] == ["checkin"] * 3


def test_the_streak_bonus_stops_growing_at_its_cap(server: Server) -> None:
    user = server.register("freelancer")
    _at_noon_in_china(server)
    amounts = []
    for _ in range(CHECKIN_STREAK_CAP + 3):
        amounts.append(ok(check_in(server, user))["amount"])
        server.clock.advance(days=1)
    assert amounts[:3] == [5, 6, 7]
    assert amounts[-3:] == [CHECKIN_BASE + CHECKIN_STREAK_CAP] * 3


def test_a_check_in_made_offline_yesterday_counts_but_not_one_older(server: Server) -> None:
    user = server.register("freelancer")
    _at_noon_in_china(server)
    device = Device(server, user)
    today = checkin_day(server.clock.now)
    yesterday = ok(check_in(server, user, day=str(today - timedelta(days=1))))
    assert yesterday["day"] == str(today - timedelta(days=1))
    synced = device.apply("check_in", day=str(today))  # the same through the outbox
    assert (synced["streak"], synced["amount"]) == (2, 6)
    assert synced["id"] != yesterday["id"]

    too_late = check_in(server, user, day=str(today - timedelta(days=2)))
    assert too_late.status_code == 409, too_late.text
    assert too_late.json()["code"] == "checkin_too_late"
    ahead = check_in(server, user, day=str(today + timedelta(days=1)))
    assert ahead.status_code == 422 and ahead.headers["content-type"].startswith(
        "application/problem+json"
    )
    [pushed] = device.push_ok(device.op("check_in", day=str(today - timedelta(days=3))))
    assert pushed["status"] == "rejected" and pushed["code"] == "checkin_too_late"
    assert balance(server, user) == 11


def test_the_entry_reaches_its_owner_only_through_the_change_log(server: Server) -> None:
    user, other = server.register("freelancer"), server.register("freelancer")
    entry = ok(check_in(server, user))
    mine = [c for c in Device(server, user).pull_all() if c["entity"] == "points_entry"]
    assert [(c["id"], c["data"]["kind"]) for c in mine] == [(entry["id"], "checkin")]
    theirs = Device(server, other).pull_all()
    assert all(c["id"] != entry["id"] for c in theirs)
