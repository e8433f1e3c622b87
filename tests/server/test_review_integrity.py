"""Review integrity (security.md; #12): a review between two accounts seen on one install
within the link window is flagged when written, counts in no rating and is shown to nobody
but its author until a reviewer clears it; an address shared by many (every test client here
is "testclient") links nobody. Staff list and clear through the API, never a review they are
party to; every clearing is audited — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from jiedan_cli.domain.risk import RiskLimits
from jiedan_cli.server.db.tables import audit_log, reviews
from jiedan_cli.server.jobs import reveal_reviews
from tests.server.conftest import Server
from tests.server.escrow_flow import staff
from tests.server.market import awarded_order, changes_of, set_order_status
from tests.server.test_device_links import install, sign_in
from tests.server.test_reviews import rating, review, visible_reviews
from tests.server.test_staff_self_dealing import promote

User = dict[str, Any]


def completed_between(server: Server, *, install_id: str | None) -> tuple[User, User, str]:
    """(client, freelancer, completed order id); both signed in on `install_id` if given."""
    client, freelancer, order = awarded_order(server)
    if install_id is not None:
        for user in (client, freelancer):
            sign_in(server, user, install(install_id))
    set_order_status(server, order["id"], "completed")
    return client, freelancer, order["id"]


def held(server: Server, token: str) -> Any:
    return server.request("GET", "/v1/staff/reviews", token)


def clear(server: Server, token: str, review_id: str) -> Any:
    return server.request("POST", f"/v1/staff/reviews/{review_id}/clear", token)


def flagged(server: Server, review_id: str) -> bool:
    with server.db.read() as conn:
        return bool(conn.scalar(select(reviews.c.flagged).where(reviews.c.id == review_id)))


def test_a_review_between_accounts_on_one_install_is_held_until_cleared(server: Server) -> None:
    client, freelancer, order_id = completed_between(server, install_id="shared-laptop-01")
    by_client = review(server, client, order_id, 5).json()
    by_freelancer = review(server, freelancer, order_id, 5).json()  # both written: revealed
    assert flagged(server, by_client["id"]) and flagged(server, by_freelancer["id"])
    assert rating(server, freelancer["id"]) == {"count": 0, "average": None}
    assert visible_reviews(server, freelancer["id"]) == []
    # on the change log it stays its author's alone
    assert {
        (c["public"], frozenset(c["audience"]))
        for c in changes_of(server, "review", by_client["id"])
    } == {(False, frozenset({client["id"]}))}

    reviewer = staff(server, "reviewer")
    listed = held(server, reviewer["token"])
    assert listed.status_code == 200, listed.text
    shown = {item["id"]: item for item in listed.json()}
    assert set(shown) == {by_client["id"], by_freelancer["id"]}
    assert shown[by_client["id"]]["shared_installs"] == 1
    assert shown[by_client["id"]]["revealed"] is True

    cleared = clear(server, reviewer["token"], by_client["id"])
    assert cleared.status_code == 200, cleared.text
    assert rating(server, freelancer["id"]) == {"count": 1, "average": 5.0}
    assert [r["id"] for r in visible_reviews(server, freelancer["id"])] == [by_client["id"]]
    assert rating(server, client["id"]) == {"count": 0, "average": None}  # still held
    assert changes_of(server, "review", by_client["id"])[-1]["public"] is True

    again = clear(server, reviewer["token"], by_client["id"])
    assert again.status_code == 409 and again.json()["code"] == "review_not_held"
    assert rating(server, freelancer["id"])["count"] == 1  # counted once
    assert [r["id"] for r in held(server, reviewer["token"]).json()] == [by_freelancer["id"]]

    with server.db.read() as conn:
        audited = conn.execute(
            select(audit_log).where(audit_log.c.action.in_(("review.flagged", "review.cleared")))
        ).all()
    assert sorted((a.action, a.target, a.actor_id) for a in audited) == sorted(
        [
            ("review.flagged", by_client["id"], client["id"]),
            ("review.flagged", by_freelancer["id"], freelancer["id"]),
            ("review.cleared", by_client["id"], reviewer["id"]),
        ]
    )


def test_a_shared_address_alone_links_nobody(server: Server) -> None:
    # every account here registered and signs in from "testclient", on no install at all
    client, freelancer, order_id = completed_between(server, install_id=None)
    written = review(server, client, order_id, 4).json()
    review(server, freelancer, order_id, 5)
    assert not flagged(server, written["id"])
    assert rating(server, freelancer["id"]) == {"count": 1, "average": 4.0}


def test_a_link_older_than_the_window_is_no_link(sqlite_server: Server) -> None:
    server = sqlite_server
    client, _freelancer, order_id = completed_between(server, install_id="old-shared-pc-1")
    server.clock.advance(seconds=(RiskLimits().link_window + timedelta(days=1)).total_seconds())
    client = {**client, "token": sign_in(server, client, {})}  # the old session has expired
    written = review(server, client, order_id, 3).json()
    assert not flagged(server, written["id"])


def test_a_review_cleared_while_blind_counts_when_revealed(server: Server) -> None:
    client, freelancer, order_id = completed_between(server, install_id="shared-phone-02")
    written = review(server, client, order_id, 2).json()
    reviewer = staff(server, "admin")
    assert clear(server, reviewer["token"], written["id"]).status_code == 200
    assert rating(server, freelancer["id"])["count"] == 0  # blind still
    server.clock.advance(days=server.settings.review_blind_days + 1)
    assert reveal_reviews.run(server.db, server.settings, server.clock.now) == 1
    assert rating(server, freelancer["id"]) == {"count": 1, "average": 2.0}


def test_a_held_review_revealed_by_the_job_still_does_not_count(sqlite_server: Server) -> None:
    server = sqlite_server
    client, freelancer, order_id = completed_between(server, install_id="shared-tablet-3")
    written = review(server, client, order_id, 5).json()
    server.clock.advance(days=server.settings.review_blind_days + 1)
    assert reveal_reviews.run(server.db, server.settings, server.clock.now) == 1
    assert rating(server, freelancer["id"])["count"] == 0
    assert visible_reviews(server, freelancer["id"]) == []
    assert flagged(server, written["id"])


def test_only_reviewers_and_admins_and_never_a_party(sqlite_server: Server) -> None:
    server = sqlite_server
    client, freelancer, order_id = completed_between(server, install_id="shared-desk-004")
    written = review(server, client, order_id, 5).json()
    support = staff(server, "support")
    assert held(server, support["token"]).status_code == 403
    assert clear(server, support["token"], written["id"]).status_code == 403
    assert clear(server, freelancer["token"], written["id"]).status_code == 403

    party = promote(server, freelancer, "reviewer")  # the review is about them
    assert held(server, party["token"]).json() == []
    refused = clear(server, party["token"], written["id"])
    assert refused.status_code == 403 and refused.json()["code"] == "staff_party"
    assert flagged(server, written["id"])

    reviewer = staff(server, "reviewer")
    assert clear(server, reviewer["token"], str(uuid.uuid4())).status_code == 404
    bad = clear(server, reviewer["token"], "bad id!")
    assert bad.status_code == 422 and bad.json()["field"] == "review_id"
