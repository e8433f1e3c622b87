"""Time-ordered identifiers (UUIDv7, RFC 9562), made on whichever side creates the object."""

from __future__ import annotations

import os
import time
import uuid

from jiedan_cli.domain.errors import InvalidInput


def new_id() -> str:
    """A UUIDv7 string: 48 bits of Unix milliseconds, version 7, then 74 random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def check_id(value: object, *, field: str = "id") -> str:
    """An id made by a client: a UUID string, kept in its canonical lower-case form."""
    if isinstance(value, str) and len(value) == 36:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise InvalidInput(f"{field}: must be a UUID string", field=field)
