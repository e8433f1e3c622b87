"""What a client's funding pays and an acceptance releases, as the server picks the
milestones (services/funding.py: the first created one; services/escrow.py: every submitted
one)."""

from __future__ import annotations

from jiedan_cli.domain.escrow import to_fund, to_release


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
