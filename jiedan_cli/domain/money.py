"""Money is an integer number of fen (分). Yuan strings are parsed here and nowhere else."""

from __future__ import annotations

import re

from jiedan_cli.domain.errors import InvalidInput, Refused

CURRENCY = "CNY"
FEN_PER_YUAN = 100
# An upper bound that keeps every sum far inside a signed 64-bit integer.
MAX_AMOUNT_FEN = 10_000_000_000  # 1 亿 yuan

_YUAN = re.compile(r"^(\d+)(?:\.(\d{1,2}))?$")


def parse_yuan(text: str | int | float, *, field: str = "amount") -> int:
    """'800', '800.5', '800.50' → fen. Zero, negative, >2 decimals, non-numeric → InvalidInput."""
    if isinstance(text, bool):
        raise InvalidInput(f"{field}: not an amount: {text!r}", field=field)
    if isinstance(text, int):
        text = str(text)
    elif isinstance(text, float):
        text = repr(text)
    raw = text.strip().replace(",", "") if isinstance(text, str) else ""
    match = _YUAN.match(raw)
    if match is None:
        raise InvalidInput(
            f"{field}: {text!r} is not an amount in yuan (e.g. 800, 800.5 or 800.50)", field=field
        )
    whole, frac = match.group(1), (match.group(2) or "").ljust(2, "0")
    fen = int(whole) * FEN_PER_YUAN + int(frac)
    if fen <= 0:
        raise InvalidInput(f"{field}: must be more than zero", field=field)
    if fen > MAX_AMOUNT_FEN:
        raise InvalidInput(f"{field}: {text!r} is too large", field=field)
    return fen


def format_yuan(fen: int) -> str:
    """12345 → '123.45'; -5 → '-0.05'."""
    sign = "-" if fen < 0 else ""
    whole, frac = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{frac:02d}"


def check_fen(amount: int, *, field: str = "amount_fen") -> int:
    """Validate an integer amount in fen that came from JSON."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(f"{field}: must be an integer number of fen", field=field)
    if amount <= 0:
        raise InvalidInput(f"{field}: must be more than zero", field=field)
    if amount > MAX_AMOUNT_FEN:
        raise InvalidInput(f"{field}: too large", field=field)
    return amount


def check_withdrawal(amount_fen: int, available_fen: int) -> int:
    """A withdrawal never overdraws: `amount_fen` when `available_fen` covers it, else Refused
    in the user's terms. The server decides with this against the balance it holds; the
    dashboard says the same before asking, against the balance it shows."""
    if amount_fen > available_fen:
        raise Refused(
            f"you can withdraw at most ¥{format_yuan(available_fen)} (available now)",
            code="insufficient_funds",
        )
    return amount_fen
