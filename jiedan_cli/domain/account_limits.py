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
# unverified one withdraws at most ¥5,000 in any 24 hours
# (JIEDAN_SERVER_NEW_ACCOUNT_MAX_WITHDRAWAL_FEN). Above that a withdrawal is for the risk
# engine's manual review (人工审核), which comes after this; until then it is refused.
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


def check_withdrawal_trust(
    amount_fen: int,
    *,
    withdrawn_in_window_fen: int,
    account_created_at: datetime,
    verified: bool,
    now: datetime,
    limit: NewAccountLimit,
) -> None:
    """A new (younger than `limit.days`) or unverified account withdraws at most
    `limit.max_withdrawal_fen` in any WITHDRAWAL_WINDOW, this withdrawal included; more is
    refused (`withdrawal_held`) until the risk engine's review queue can hold it."""
    young = now - account_created_at < timedelta(days=limit.days)
    cap = limit.max_withdrawal_fen
    if (verified and not young) or withdrawn_in_window_fen + amount_fen <= cap:
        return
    left = max(cap - withdrawn_in_window_fen, 0)
    who = f"an account younger than {limit.days} days" if young else "an unverified account"
    raise Refused(
        f"{who} may withdraw at most ¥{format_yuan(cap)} in 24 hours"
        f" (¥{format_yuan(left)} left now): more waits for manual review (人工审核), which is"
        " not open yet, so this withdrawal is refused. Withdraw less; the limit ends once the"
        f" account is {limit.days} days old and verified (实名认证)",
        code="withdrawal_held",
    )
