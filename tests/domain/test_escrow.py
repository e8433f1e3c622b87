"""What a client's funding pays and an acceptance releases, as the server picks the
milestones (services/funding.py: the first created one; services/escrow.py: every submitted
one)."""

from __future__ import annotations

from jiedan_cli.domain.escrow import statuses_as_queued, to_fund, to_release


def ms(status: str, fen: int) -> dict[str, object]:
    return {"status": status, "amount_fen": fen}


def test_funding_pays_the_first_milestone_not_yet_funded() -> None:
    assert to_fund([ms("funded", 100), ms("created", 200), ms("created", 300)]) == 200


def test_before_the_milestone_arrives_the_awarded_bid_is_what_is_paid() -> None:
    assert to_fund([], awarded_fen=60_000) == 60_000
    assert to_fund([ms("funded", 100)], awarded_fen=60_000) is None  # nothing left to fund


def test_accepting_releases_every_submitted_milestone() -> None:
    milestones = [ms("released", 100), ms("submitted", 200), ms("submitted", 300)]
    assert to_release(milestones, awarded_fen=999) == 500
    assert to_release([], awarded_fen=30_000) == 30_000
    assert to_release([ms("funded", 100)]) is None  # known, none submitted: no amount to claim


def test_queued_moves_take_the_milestones_the_server_would() -> None:
    """A queued funding funds the first created milestone, a queued delivery submits the
    first one awaiting it; a delivery refused for good takes nothing."""
    milestones = [{"status": "revision_requested"}, {"status": "funded"}, {"status": "created"}]
    pending, refused = {"sync_state": "pending"}, {"sync_state": "rejected"}
    assert statuses_as_queued(milestones, [pending, refused]) == [
        "submitted",
        "funded",
        "created",
    ]
    assert statuses_as_queued(milestones, [pending, pending, pending], fundings=1) == [
        "submitted",
        "submitted",
        "submitted",
    ]
    assert statuses_as_queued([], [pending], fundings=2) == []
