"""Reviews: one per party per completed order, about the other party, blind until both
sides reviewed or the blind period passed; ratings count a review only once it is revealed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from jiedan_cli.domain.points import POINTS_FOR_REVIEW
from jiedan_cli.server.db.tables import points_entries
from tests.server.conftest import Server
from tests.server.market import awarded_order, changes_of, set_order_status


def completed_order(server: Server) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(client, freelancer, order); completion is escrow's flow, arranged here directly."""
    client, freelancer, order = awarded_order(server)
    set_order_status(server, order["id"], "completed")
    return client, freelancer, order


def review(server: Server, user: dict[str, Any], order_id: str, stars: int, **extra: Any) -> Any:
    body = {"stars": stars, "text": "合作愉快", **extra}
    return server.request("POST", f"/v1/orders/{order_id}/reviews", user["token"], json=body)


def visible_reviews(server: Server, user_id: str) -> list[dict[str, Any]]:
    response = server.request("GET", f"/v1/users/{user_id}/reviews")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def rating(server: Server, user_id: str) -> dict[str, Any]:
    return dict(server.request("GET", f"/v1/profiles/{user_id}").json()["rating"])


def test_each_party_reviews_the_other_once(server: Server) -> None:
    client, freelancer, order = completed_order(server)
    written = review(server, client, order["id"], 5)
    assert written.status_code == 201, written.text
    by_client = written.json()
    assert (by_client["author_id"], by_client["subject_id"], by_client["stars"]) == (
        client["id"],
        freelancer["id"],
        5,
    )
    again = review(server, client, order["id"], 1)
    assert again.status_code == 409
    assert again.json()["code"] == "review_exists"
    by_freelancer = review(server, freelancer, order["id"], 4).json()
    assert by_freelancer["subject_id"] == client["id"]


def test_reviews_wait_for_completion(sqlite_server: Server) -> None:
    client, _freelancer, order = awarded_order(sqlite_server)
    response = review(sqlite_server, client, order["id"], 5)
    assert response.status_code == 409
    assert response.json()["code"] == "order_awarded"


def test_only_the_two_parties_review(sqlite_server: Server) -> None:
    server = sqlite_server
    client, _freelancer, order = completed_order(server)
    stranger = server.register("both")
    assert review(server, stranger, order["id"], 1).status_code == 404
    assert review(server, client, "no-such-order", 1).status_code == 404
    assert (
        server.request("POST", f"/v1/orders/{order['id']}/reviews", json={"stars": 3}).status_code
        == 401
    )


@pytest.mark.parametrize(
    "body",
    [
        {"stars": 0},
        {"stars": 6},
        {"stars": 3, "text": "长" * 2_001},
        {"stars": 3, "subject_id": "someone"},
        {"stars": 3, "author_id": "someone"},
        {"stars": 3, "flagged": False},
    ],
)
def test_bad_or_forbidden_review_fields_are_422(
    sqlite_server: Server, body: dict[str, Any]
) -> None:
    client, _freelancer, order = completed_order(sqlite_server)
    response = sqlite_server.request(
        "POST", f"/v1/orders/{order['id']}/reviews", client["token"], json=body
    )
    assert response.status_code == 422


def test_reviews_are_blind_until_both_sides_reviewed(server: Server) -> None:
    client, freelancer, order = completed_order(server)
    by_client = review(server, client, order["id"], 2, text="拖延").json()
    assert visible_reviews(server, freelancer["id"]) == []
    # Not even the average gives the stars away while the review is blind.
    assert rating(server, freelancer["id"]) == {"count": 0, "average": None}
    assert changes_of(server, "review", by_client["id"]) == [
        {"payload": by_client, "public": False, "audience": {client["id"]}}
    ]
    server.clock.advance(days=1)
    by_freelancer = review(server, freelancer, order["id"], 5).json()
    assert visible_reviews(server, freelancer["id"]) == [by_client]
    assert visible_reviews(server, client["id"]) == [by_freelancer]
    assert rating(server, freelancer["id"]) == {"count": 1, "average": 2.0}
    assert rating(server, client["id"]) == {"count": 1, "average": 5.0}
    assert changes_of(server, "review", by_client["id"])[-1]["public"] is True


def test_a_lone_review_is_revealed_after_the_blind_period(server: Server) -> None:
    client, freelancer, order = completed_order(server)
    by_client = review(server, client, order["id"], 4).json()
    server.clock.advance(days=server.settings.review_blind_days, seconds=-1)
    assert visible_reviews(server, freelancer["id"]) == []
    assert server.app.state.jobs.run_once()["jiedan_cli.server.jobs.reveal_reviews"] == 0
    server.clock.advance(seconds=1)
    assert visible_reviews(server, freelancer["id"]) == [by_client]  # before the job, too
    assert server.app.state.jobs.run_once()["jiedan_cli.server.jobs.reveal_reviews"] == 1
    assert rating(server, freelancer["id"]) == {"count": 1, "average": 4.0}
    assert server.app.state.jobs.run_once()["jiedan_cli.server.jobs.reveal_reviews"] == 0
    review(server, freelancer, order["id"], 5)  # the late second review reveals only itself
    assert rating(server, freelancer["id"]) == {"count": 1, "average": 4.0}
    assert rating(server, client["id"]) == {"count": 1, "average": 5.0}


def test_reviews_of_an_unknown_user_are_404(sqlite_server: Server) -> None:
    assert sqlite_server.request("GET", "/v1/users/nobody/reviews").status_code == 404


def test_writing_a_review_earns_points_once(server: Server) -> None:
    client, _freelancer, order = completed_order(server)
    review(server, client, order["id"], 5)
    review(server, client, order["id"], 5)  # refused: no second reward either
    with server.db.read() as conn:
        earned = conn.execute(
            select(points_entries.c.amount, points_entries.c.kind).where(
                points_entries.c.user_id == client["id"]
            )
        ).all()
    assert [tuple(row) for row in earned] == [(POINTS_FOR_REVIEW, "review")]
