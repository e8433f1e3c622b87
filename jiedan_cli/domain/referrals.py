"""Referrals (推荐好友, the seed 2.3): the code an account hands out, and whether a referral
earns its reward when the referee completes a first order (money.md: points)."""

from __future__ import annotations

import secrets

from jiedan_cli.domain.errors import InvalidInput

# No 0/O, 1/I/L: a code is read aloud and typed from a chat message.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
DEFAULT_REFERRAL_POINTS = 100  # to each of the two, once (JIEDAN_SERVER_REFERRAL_POINTS)

PENDING = "pending"  # the referee has not completed an order yet
REWARDED = "rewarded"
WITHHELD = "withheld"  # settled without a reward; `reason` says why

SHARED_INSTALL = "the two accounts were used on one install (a referral ring)"
ORDER_WITH_REFERRER = "the first order was between the referee and the referrer"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """A code as typed ("ab3d-ef7h ", lower case, a dash) in its stored form, or InvalidInput
    when it cannot be one at all (an unknown code of the right shape is the server's to say)."""
    code = text.strip().upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise InvalidInput(
            f"referral code: {CODE_LENGTH} letters and digits, as the inviter's"
            " `jiedan account referral` shows it",
            field="referral",
        )
    return code


def withheld_reason(*, shared_install: bool, order_with_referrer: bool) -> str | None:
    """Why a referral that reached a first completed order earns nothing, or None: accounts
    used on one install are one person's ring, and an order between the two is one made to
    collect the reward."""
    if shared_install:
        return SHARED_INSTALL
    if order_with_referrer:
        return ORDER_WITH_REFERRER
    return None
