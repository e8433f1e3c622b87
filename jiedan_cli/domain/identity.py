"""Real-name verification (实名认证): the rules for what a freelancer submits — a name, a
mainland resident ID number (GB 11643: 17 digits and a check character) — and how an ID
number is ever shown once stored: masked, its last four characters only (security.md)."""

from __future__ import annotations

import re
from datetime import date

from jiedan_cli.domain.errors import InvalidInput

REAL_NAME_MAX = 100
CERTIFICATES_MAX = 10
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_real_name(value: object) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > REAL_NAME_MAX:
        raise InvalidInput(f"real name: 1 to {REAL_NAME_MAX} characters", field="real_name")
    return name


def check_id_number(value: object) -> str:
    """An 18-character resident ID number whose birth date is a real day and whose last
    character is the checksum of the others (a lower-case x is taken as X)."""
    number = value.strip().upper() if isinstance(value, str) else ""
    if not _ID_SHAPE.match(number):
        raise InvalidInput(
            "id number: 18 characters, 17 digits and a digit or X", field="id_number"
        )
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput(
            "id number: its birth date is not a real day", field="id_number"
        ) from None
    if check_character(number[:17]) != number[17]:
        raise InvalidInput("id number: the check character does not match", field="id_number")
    return number


def check_character(first17: str) -> str:
    """The last character of an ID number whose first 17 digits are `first17` (GB 11643)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def mask_id_number(last4: str) -> str:
    """How a stored ID number is shown, to its owner and to reviewers alike."""
    return "*" * 14 + last4
