"""Campaigns (积分翻倍, 周末特惠, 节日专场, #13), on SQLite and PostgreSQL with the injected
clock: admins make, list and end them; points earned and fees charged read the campaigns
running at the event, with the window's start inclusive and its end exclusive; ending one
closes its window now; every replica gets them through sync pull."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from jiedan_cli.domain.points import CHECKIN_BASE
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import points_entries
from tests.server.conftest import Server
from tests.server.devices import Device
from tests.server.escrow_flow import act, deliver, delivered, ok, staff, transfers
from tests.server.market import award, place_bid, post_order
from tests.server.statements import Statements

HOUR = timedelta(hours=1)
TICK = timedelta(microseconds=1)
AMOUNT = 400_000  # past the first-order waiver's ¥2,000: 200,000 fen is charged


def add(server: Server, admin: dict[str, Any], **body: Any) -> Any:
    return server.request("POST", "/v1/staff/campaigns", admin["token"], json=body)


def window(server: Server, start_in: timedelta, length: timedelta) -> dict[str, str]:
    start = server.clock.now + start_in
    return {"starts_at": rfc3339(start) or "", "ends_at": rfc3339(start + length) or ""}


def check_in_amount(server: Server) -> int:
    user = server.register("freelancer")
    return int(ok(server.request("POST", "/v1/points/checkin", user["token"]))["amount"])


def test_points_are_multiplied_from_the_start_inclusive_to_the_end_exclusive(
    server: Server,
) -> None:
    admin = staff(server, "admin")
    start = server.clock.now + HOUR
    made = ok(
        add(server, admin, name="积分翻倍", kind="points_multiplier", multiplier=2,
            **window(server, HOUR, HOUR)),
        201,
    )  # fmt: skip
    assert made["starts_at"] == rfc3339(start)
    amounts = []
    for moment in (start - TICK, start, start + HOUR - TICK, start + HOUR):
        server.clock.now = moment
        amounts.append(check_in_amount(server))
    assert amounts == [CHECKIN_BASE, 2 * CHECKIN_BASE, 2 * CHECKIN_BASE, CHECKIN_BASE]


def fee_on_release(server: Server, at: Any) -> int:
    """The fee on releasing a design order of AMOUNT at `at` (zero fees are not posted)."""
    client, _freelancer, order = delivered(server, amount_fen=AMOUNT)
    server.clock.now = at
    assert ok(act(server, client, order["id"], "accept"))["status"] == "completed"
    return sum(t.amount_fen for t in transfers(server, kind="fee", order_id=order["id"]))


def test_a_fee_discount_applies_at_releases_inside_its_window_only(server: Server) -> None:
    admin = staff(server, "admin")
    start = server.clock.now + HOUR
    ok(
        add(server, admin, name="周末特惠", kind="fee_discount", discount_bp=500,
            **window(server, HOUR, HOUR)),
        201,
    )  # fmt: skip
    fees = [fee_on_release(server, at) for at in (start - TICK, start, start + HOUR - TICK)]
    fees.append(fee_on_release(server, start + HOUR))
    assert fees == [20_000, 10_000, 10_000, 20_000]  # 10% of 200,000 charged; 5% inside


def test_a_category_campaign_discounts_that_category_only(server: Server) -> None:
    admin = staff(server, "admin")
    ok(
        add(server, admin, name="节日专场", kind="fee_discount", discount_bp=1_000,
            category="设计", **window(server, timedelta(0), HOUR)),
        201,
    )  # fmt: skip
    assert fee_on_release(server, server.clock.now) == 0  # design: the whole rate off
    client = server.register("client")
    freelancer = server.register("freelancer")
    order = post_order(
        server, client, category="writing", budget_min_fen=50_000, budget_max_fen=AMOUNT
    )
    bid = place_bid(server, freelancer, order["id"], amount_fen=AMOUNT)
    award(server, client, order["id"], bid["id"])
    ok(act(server, client, order["id"], "fund"))
    deliver(server, freelancer, order["id"])
    ok(act(server, client, order["id"], "accept"))
    assert [t.amount_fen for t in transfers(server, kind="fee", order_id=order["id"])] == [20_000]


def test_ending_a_campaign_closes_its_window_now(server: Server) -> None:
    admin = staff(server, "admin")
    made = ok(
        add(server, admin, name="积分翻倍", kind="points_multiplier", multiplier=3,
            **window(server, timedelta(0), 10 * HOUR)),
        201,
    )  # fmt: skip
    assert check_in_amount(server) == 3 * CHECKIN_BASE
    server.clock.advance(hours=1)
    path = f"/v1/staff/campaigns/{made['id']}/end"
    ended = ok(server.request("POST", path, admin["token"]))
    assert ended["ends_at"] == rfc3339(server.clock.now) and ended["ended_by"] == admin["id"]
    assert check_in_amount(server) == CHECKIN_BASE
    again = ok(server.request("POST", path, admin["token"]))  # ended already: unchanged
    assert again["ends_at"] == ended["ends_at"]
    listed = server.request("GET", "/v1/staff/campaigns", admin["token"]).json()
    assert [c["id"] for c in listed] == [made["id"]]
    missing = server.request("POST", "/v1/staff/campaigns/nope/end", admin["token"])
    assert missing.status_code == 404


def test_campaigns_reach_every_replica_through_sync_pull(server: Server) -> None:
    admin = staff(server, "admin")
    made = ok(
        add(server, admin, name="周末特惠", kind="fee_discount", discount_bp=300,
            **window(server, HOUR, HOUR)),
        201,
    )  # fmt: skip
    device = Device(server, server.register("freelancer"))
    pulled = [c for c in device.pull_all() if c["entity"] == "campaign"]
    assert [(c["id"], c["op"], c["data"]["discount_bp"]) for c in pulled] == [
        (made["id"], "put", 300)
    ]
    ok(server.request("POST", f"/v1/staff/campaigns/{made['id']}/end", admin["token"]))
    ended = [c for c in device.pull_all() if c["entity"] == "campaign"]
    assert ended[-1]["data"]["ends_at"] == ended[-1]["data"]["starts_at"]  # never runs


def test_bad_campaigns_are_refused_with_a_clear_reason(server: Server) -> None:
    admin = staff(server, "admin")
    cases = [
        ({"kind": "points_multiplier", "multiplier": 1}, "multiplier"),
        ({"kind": "fee_discount", "discount_bp": 0}, "discount_bp"),
        ({"kind": "fee_discount", "discount_bp": 100, "category": "nonsense"}, "category"),
        ({"kind": "points_multiplier", "multiplier": 2, **window(server, HOUR, -HOUR)}, "ends_at"),
        ({"kind": "points_multiplier", "multiplier": 2, "category": "design"}, "kind"),
        (
            {"kind": "points_multiplier", "multiplier": 2, "ends_at": "2030-01-01T00:00:00"},
            "ends_at",
        ),
    ]
    for body, field in cases:
        full = {"name": "活动", **window(server, HOUR, HOUR), **body}
        response = add(server, admin, **full)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.text, (field, response.text)
    freelancer = server.register("freelancer")
    body = {
        "name": "活动",
        "kind": "points_multiplier",
        "multiplier": 2,
        **window(server, HOUR, HOUR),
    }
    assert add(server, freelancer, **body).status_code == 403


def test_an_accept_reads_the_running_campaigns_once_for_its_fee_and_both_parties_points(
    server: Server,
) -> None:
    """The release's fee and the client's and the freelancer's points each ask which
    campaigns run: one read in the transaction answers all three, inside a window and out."""
    admin = staff(server, "admin")
    start = server.clock.now + HOUR
    ok(
        add(server, admin, name="积分翻倍", kind="points_multiplier", multiplier=2,
            **window(server, HOUR, HOUR)),
        201,
    )  # fmt: skip
    ok(
        add(server, admin, name="周末特惠", kind="fee_discount", discount_bp=500,
            **window(server, HOUR, HOUR)),
        201,
    )  # fmt: skip

    def accepted_at(at: Any) -> tuple[list[int], int, int]:
        client, freelancer, order = delivered(server, amount_fen=AMOUNT)
        server.clock.now = at
        with Statements(server.db) as sent:
            assert ok(act(server, client, order["id"], "accept"))["status"] == "completed"
        reads = [s for s in sent if s.startswith("select") and "from campaigns" in s]
        with server.db.read() as conn:
            earned = dict(
                conn.execute(
                    select(points_entries.c.user_id, points_entries.c.amount).where(
                        points_entries.c.order_id == order["id"]
                    )
                ).all()
            )
        fee = sum(t.amount_fen for t in transfers(server, kind="fee", order_id=order["id"]))
        return [earned[client["id"]], earned[freelancer["id"]]], fee, len(reads)

    outside, inside = accepted_at(start - TICK), accepted_at(start)
    assert inside[0] == [2 * points for points in outside[0]] and all(outside[0])
    assert (outside[1], inside[1]) == (20_000, 10_000)
    assert outside[2] == inside[2] == 1
