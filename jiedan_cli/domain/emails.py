"""E-mail identity: the one form of an address that uniqueness and sign-in compare.

`ｖictim@example.com` (full-width), `victim\u200b@example.com` (a zero-width space) and
`VICTIM@example.com` are one account: the text is NFKC-normalised (compatibility forms such
as full-width letters fold to their plain ones), stripped of Unicode format characters
(category Cf: zero-width spaces and joiners, soft hyphens, bidi marks, the BOM), casefolded
and trimmed. Control characters are refused rather than removed."""

from __future__ import annotations

import re
import unicodedata

from jiedan_cli.domain.errors import InvalidInput

MAX_LENGTH = 254
_SHAPE = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def normalise_email(text: str) -> str:
    """The identity of `text` as an e-mail address (not checked to be one)."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    # Casefolding can leave a compatibility form behind (NFKC_Casefold does both, in turn).
    return unicodedata.normalize("NFKC", visible.casefold()).strip()


def check_email(text: str) -> str:
    """The normalised address, or InvalidInput when it is not one."""
    email = normalise_email(text)
    if (
        len(email) > MAX_LENGTH
        or not _SHAPE.match(email)
        or any(unicodedata.category(ch) == "Cc" for ch in email)
    ):
        raise InvalidInput(f"email: {email!r} is not an e-mail address", field="email")
    return email
