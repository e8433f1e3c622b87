"""Dispute-risk warnings (纠纷预警, the seed 5.1: "在问题发生前提示双方补充明确细节"): what, at
posting, bidding and award, tends to end in a dispute, said before the move with its reason —
never a refusal (the person decides; the server's own rules still apply).

Pure rules over facts the caller reads (store/dispute_facts.py reads them from the local
replica, so the command line and the dashboard warn alike, offline too). A fact not known is
None, and a rule that needs it stays silent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from jiedan_cli.domain.bidding import FAR_BELOW_SHARE as FAR_BELOW_BUDGET_SHARE
from jiedan_cli.domain.money import format_yuan

VAGUE_BELOW_CHARS = 15  # a description with fewer letters/characters than this says too little
FAR_BELOW_MEDIAN_SHARE = 0.5  # a budget's top under half the category's median
TOO_FEW_DAYS_SHARE = 0.5  # a bid's days under half what similar orders took
NEW_ACCOUNT_AGE = timedelta(days=30)
LARGE_ORDER_FEN = 200_000  # ¥2,000: an order a new, unverified account should not be tried on

_SUBSTANCE = re.compile(r"\w")


@dataclass(frozen=True)
class DisputeWarning:
    code: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "reason": self.reason}


@dataclass(frozen=True)
class Typical:
    """A typical figure and where it comes from, in words ("the median of 7 accepted bids on
    设计 orders")."""

    value: int
    described: str


def at_posting(
    *,
    description: str,
    budget_max_fen: int,
    deadline: date | None,
    category_median: Typical | None,
) -> list[DisputeWarning]:
    found = []
    letters = len(_SUBSTANCE.findall(description))
    if letters < VAGUE_BELOW_CHARS:
        found.append(
            DisputeWarning(
                "vague_description",
                f"the description says little ({letters} characters): what is delivered, in"
                " what form, and what counts as done are what disputes are about",
            )
        )
    median = category_median
    if median is not None and budget_max_fen < median.value * FAR_BELOW_MEDIAN_SHARE:
        found.append(
            DisputeWarning(
                "budget_far_below_median",
                f"the budget (up to ¥{format_yuan(budget_max_fen)}) is under half"
                f" {median.described} (¥{format_yuan(median.value)}): freelancers who take it"
                " may cut corners",
            )
        )
    if deadline is None:
        found.append(
            DisputeWarning("no_deadline", "no deadline: without one, 'late' cannot be settled")
        )
    return found


def at_bidding(
    *,
    amount_fen: int,
    days: int,
    budget_min_fen: int | None,
    typical_days: Typical | None,
) -> list[DisputeWarning]:
    found = []
    if typical_days is not None and days < typical_days.value * TOO_FEW_DAYS_SHARE:
        found.append(
            DisputeWarning(
                "days_too_few",
                f"{_days(days)} is under half {typical_days.described}"
                f" ({_days(typical_days.value)}): a rushed delivery is often disputed",
            )
        )
    if budget_min_fen is not None and amount_fen < budget_min_fen * FAR_BELOW_BUDGET_SHARE:
        found.append(
            DisputeWarning(
                "amount_far_below_budget",
                f"¥{format_yuan(amount_fen)} is under half the budget's lower end"
                f" (¥{format_yuan(budget_min_fen)}): work sold short is often cut short",
            )
        )
    return found


@dataclass(frozen=True)
class Freelancer:
    """What the client's replica knows of the freelancer (their public profile)."""

    name: str
    dispute_count: int | None
    verified: bool | None
    joined_at: datetime | None


def at_award(
    *, freelancer: Freelancer | None, amount_fen: int, now: datetime
) -> list[DisputeWarning]:
    if freelancer is None:
        return []
    found = []
    if freelancer.dispute_count:
        found.append(
            DisputeWarning(
                "freelancer_has_disputes",
                f"{freelancer.name} has had {freelancer.dispute_count} dispute(s) on orders"
                " they were awarded",
            )
        )
    new = freelancer.joined_at is not None and now - freelancer.joined_at < NEW_ACCOUNT_AGE
    if new and freelancer.verified is False and amount_fen >= LARGE_ORDER_FEN:
        found.append(
            DisputeWarning(
                "new_unverified_large_order",
                f"{freelancer.name}'s account is new (under {NEW_ACCOUNT_AGE.days} days) and not"
                f" real-name verified, for ¥{format_yuan(amount_fen)}: escrow protects the money,"
                " not the time",
            )
        )
    return found


def _days(count: float) -> str:
    """ "1 day", "3 days", "4.5 days"."""
    return f"{count:g} day" + ("" if count == 1 else "s")
