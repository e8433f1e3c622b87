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
