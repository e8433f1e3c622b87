"""What an account not yet trusted may do with money (security.md, money.md): the size of an
order an unverified freelancer may work on, and what a new or unverified account may
withdraw. Pure, so the server decides and the client explains with the same words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jiedan_cli.domain.errors import Refused
from jiedan_cli.domain.money import format_yuan

# The largest order (the total of its milestones) for a freelancer without real-name
# verification (实名认证): ¥5,000. The server's JIEDAN_SERVER_UNVERIFIED_MAX_AWARD_FEN.
UNVERIFIED_MAX_ORDER_FEN = 500_000
# An account is new for its first 30 days (JIEDAN_SERVER_NEW_ACCOUNT_DAYS); a new or
# unverified one withdraws at most ¥5,000 in any 24 hours without a person looking
# (JIEDAN_SERVER_NEW_ACCOUNT_MAX_WITHDRAWAL_FEN): above that the withdrawal is held for the
# manual review (人工审核) of the risk engine's queue, and a reviewer releases or blocks it.
NEW_ACCOUNT_DAYS = 30
NEW_ACCOUNT_MAX_WITHDRAWAL_FEN = 500_000
WITHDRAWAL_WINDOW = timedelta(days=1)


def check_order_total(total_fen: int, *, freelancer_verified: bool, cap_fen: int | None) -> None:
    """An order whose milestones would total `total_fen` (after the award or the change
    asked for): refused above `cap_fen` unless the freelancer is verified (None: no cap)."""
    if cap_fen is None or freelancer_verified or total_fen <= cap_fen:
        return
    raise Refused(
        f"an order above ¥{format_yuan(cap_fen)} in all (this one would be"
        f" ¥{format_yuan(total_fen)}) needs a freelancer with real-name verification (实名认证);"
        " this one has none yet",
        code="freelancer_unverified",
    )


@dataclass(frozen=True)
class NewAccountLimit:
    """How long an account is new, and what a new or unverified one withdraws in 24 hours."""

    days: int = NEW_ACCOUNT_DAYS
    max_withdrawal_fen: int = NEW_ACCOUNT_MAX_WITHDRAWAL_FEN


CAP_RULE = "new_account_withdrawal_cap"  # the name a reviewer sees among the hold's rules


@dataclass(frozen=True)
class OverCap:
    """A withdrawal past the new-account cap: the reason its user reads and the facts a
    reviewer weighs."""

    reason: str
    facts: dict[str, int | bool]


def withdrawal_over_cap(
    amount_fen: int,
    *,
    withdrawn_in_window_fen: int,
    account_created_at: datetime,
    verified: bool,
    now: datetime,
    limit: NewAccountLimit,
) -> OverCap | None:
    """A new (younger than `limit.days`) or unverified account withdraws at most
    `limit.max_withdrawal_fen` in any WITHDRAWAL_WINDOW, this withdrawal included, without
    manual review; past that, why it waits for a reviewer (None: within the cap)."""
    young = now - account_created_at < timedelta(days=limit.days)
    cap = limit.max_withdrawal_fen
    if (verified and not young) or withdrawn_in_window_fen + amount_fen <= cap:
        return None
    left = max(cap - withdrawn_in_window_fen, 0)
    who = f"an account younger than {limit.days} days" if young else "an unverified account"
    reason = (
        f"{who} may withdraw at most ¥{format_yuan(cap)} in 24 hours"
        f" (¥{format_yuan(left)} left now) before manual review (人工审核): this withdrawal"
        " waits for a reviewer; the limit ends once the account is"
        f" {limit.days} days old and verified (实名认证)"
    )
    facts: dict[str, int | bool] = {
        "amount_fen": amount_fen,
        "withdrawn_in_window_fen": withdrawn_in_window_fen,
        "cap_fen": cap,
        "account_age_days": (now - account_created_at).days,
        "verified": verified,
    }
    return OverCap(reason, facts)
