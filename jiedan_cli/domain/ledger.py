"""The posting rules of the double-entry ledger (money.md). Accounts are named by strings;
a transfer moves a positive amount from one account to another; balances sum to zero."""

from __future__ import annotations

from dataclasses import dataclass

from jiedan_cli.domain.errors import Conflict, InvalidInput

# The transfers that pay a freelancer (a fee beside each): what counts as earnings, toward a
# tier, and as income in an export — on the server and in the replica alike.
PAYOUT_KINDS = ("release", "resolve")
PLATFORM_FEES = "platform:fees"
# 保险机制 (the seed): a share of every fee set aside to compensate a defrauded party.
PLATFORM_PROTECTION = "platform:protection"
DEFAULT_PROTECTION_SHARE_PCT = 10
# Points cashed out (积分提现) are paid from here; the platform funds it from its own money
# outside (PROMOTIONS_FUNDING) in the same posting, so it never goes negative (money.md).
PLATFORM_PROMOTIONS = "platform:promotions"
PROMOTIONS_FUNDING = "external:platform"


def external(provider: str) -> str:
    return f"external:{provider}"


def escrow(milestone_id: str) -> str:
    return f"escrow:{milestone_id}"


def freelancer_available(user_id: str) -> str:
    return f"freelancer:{user_id}:available"


def may_go_negative(account: str) -> bool:
    """Only money outside the platform may go negative."""
    return account.startswith("external:")


def owner_of(account: str) -> str | None:
    """The user an account belongs to, or None for platform, escrow and external accounts."""
    parts = account.split(":")
    if parts[0] in ("client", "freelancer") and len(parts) == 3:
        return parts[1]
    return None


@dataclass(frozen=True)
class Transfer:
    """One movement of money. `id` is chosen before submission: submitting it again is a no-op."""

    id: str
    source: str
    destination: str
    amount_fen: int
    kind: str  # fund, release, fee, refund, resolve, withdraw, promotion, protection, compensation
    order_id: str | None = None
    milestone_id: str | None = None

    def validate(self) -> None:
        if isinstance(self.amount_fen, bool) or not isinstance(self.amount_fen, int):
            raise InvalidInput("transfer amount must be an integer number of fen")
        if self.amount_fen <= 0:
            raise InvalidInput("transfer amount must be positive")
        if self.source == self.destination:
            raise InvalidInput("a transfer needs two different accounts")

    def same_as(self, other: Transfer) -> None:
        """A known id with different fields is an error, never a second movement."""
        if self != other:
            raise Conflict(
                f"transfer {self.id} exists with different fields", code="transfer_mismatch"
            )


def split_release(amount_fen: int, fee_fen: int) -> tuple[int, int]:
    """(to the freelancer, to the platform) for releasing `amount_fen` with `fee_fen` taken."""
    if not 0 <= fee_fen <= amount_fen:
        raise InvalidInput("fee must be between zero and the amount")
    return amount_fen - fee_fen, fee_fen


def protection_share(fee_fen: int, share_pct: int) -> int:
    """The part of a fee that goes on to the protection fund (rounded down, to the fen)."""
    if not 0 <= share_pct <= 100:
        raise InvalidInput("the protection share is a percentage from 0 to 100")
    return fee_fen * share_pct // 100


def split_resolution(amount_fen: int, to_freelancer_pct: int) -> tuple[int, int]:
    """(to the freelancer, back to the client) for a dispute resolved at `to_freelancer_pct`%."""
    if not 0 <= to_freelancer_pct <= 100:
        raise InvalidInput("the freelancer's share is a percentage from 0 to 100")
    to_freelancer = amount_fen * to_freelancer_pct // 100
    return to_freelancer, amount_fen - to_freelancer
