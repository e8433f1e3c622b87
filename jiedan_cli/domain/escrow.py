"""What a client's money move moves, from an order's milestones as the replica holds them:
funding pays the first milestone not yet funded into escrow, accepting releases every
submitted one — as the server picks them (server/services/funding.py, escrow.py). The award
makes one milestone for the awarded bid's amount, so before the replica has it (an award
still queued) that amount is what the funding pays."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jiedan_cli.domain.states import MilestoneStatus

Milestone = Mapping[str, Any]


def to_fund(milestones: Iterable[Milestone], awarded_fen: int | None = None) -> int | None:
    """The fen a funding pays into escrow: the first created milestone's amount; with no
    milestone known yet, the awarded bid's (`awarded_fen`); None when nothing is to fund."""
    known = list(milestones)
    for milestone in known:
        if milestone.get("status") == MilestoneStatus.CREATED:
            return _fen(milestone)
    return awarded_fen if not known else None


def to_release(milestones: Iterable[Milestone], awarded_fen: int | None = None) -> int | None:
    """The fen an acceptance releases to the freelancer (before the platform fee): every
    submitted milestone's amount; with no milestone known yet, the awarded bid's."""
    known = list(milestones)
    submitted = [m for m in known if m.get("status") == MilestoneStatus.SUBMITTED]
    if submitted:
        return sum(_fen(m) for m in submitted)
    return awarded_fen if not known else None


def _fen(milestone: Milestone) -> int:
    amount = milestone.get("amount_fen")
    return amount if isinstance(amount, int) and not isinstance(amount, bool) else 0


def statuses_as_queued(
    milestones: Iterable[Milestone], deliveries: Iterable[Any], fundings: int = 0
) -> list[str]:
    """The milestones' statuses once the queued moves are taken, as the server takes each: a
    funding funds the first created milestone, a delivery submits the first one awaiting
    it — what domain/moves judges the next funding, delivery, dispute or acceptance by,
    before those moves have synced. `deliveries`: the order's, a queued one pending."""
    statuses = [str(m.get("status") or "") for m in milestones]
    queued = sum(1 for d in deliveries if d.get("sync_state") == "pending")
    for i, status in enumerate(statuses):
        if fundings and status == MilestoneStatus.CREATED:
            status, fundings = MilestoneStatus.FUNDED, fundings - 1
        if queued and status in (MilestoneStatus.FUNDED, MilestoneStatus.REVISION_REQUESTED):
            status, queued = MilestoneStatus.SUBMITTED, queued - 1
        statuses[i] = status
    return statuses
