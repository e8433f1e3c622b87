"""Money is an integer number of fen (分). Yuan strings are parsed here and nowhere else."""

from __future__ import annotations

import re
import unicodedata

from jiedan_cli.domain.errors import InvalidInput, Refused

CURRENCY = "CNY"
FEN_PER_YUAN = 100
# An upper bound that keeps every sum far inside a signed 64-bit integer.
MAX_AMOUNT_FEN = 10_000_000_000  # 1 亿 yuan

# Whole yuan with no separator, or in proper groups of three ("1,200", "12,000"), then at
# most two decimals. A comma anywhere else ("1,2", "12,50", ",12") is refused, never dropped:
# dropping it turned "1,2" into ¥12 and the European "12,50" into ¥1,250.
_YUAN = re.compile(r"^([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?$")
# What people type around the number on a field labelled ¥: "¥1200", "1200元", "1200 块".
_CURRENCY_SIGNS = re.compile(r"^(?:¥|CNY|RMB)\s*|\s*(?:元|块钱|块|CNY|RMB)$", re.IGNORECASE)


def typed_number(text: str) -> str:
    """What a person typed, as ASCII: full-width digits and punctuation (１，２００．５０) become
    their ASCII forms (NFKC), surrounding space goes. The one normalisation of every number
    read from a person (amounts here, whole numbers in `parse_whole`)."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_yuan(text: str | int | float, *, field: str = "amount") -> int:
    """'800', '800.5', '800.50', '1,200', '¥1200', '1200元', '１２００' → fen. Zero,
    negative, >2 decimals, misplaced commas, non-numeric → InvalidInput."""
    if isinstance(text, bool):
        raise InvalidInput(f"{field}: not an amount: {text!r}", field=field)
    if isinstance(text, int):
        text = str(text)
    elif isinstance(text, float):
        text = repr(text)
    raw = _CURRENCY_SIGNS.sub("", typed_number(text)) if isinstance(text, str) else ""
    match = _YUAN.match(raw)
    if match is None:
        hint = " (a comma only between groups of three digits; decimals after a dot)"
        raise InvalidInput(
            f"{field}: {text!r} is not an amount in yuan (e.g. 800, 800.50 or 1,200)"
            + (hint if "," in raw else ""),
            field=field,
        )
    whole, frac = match.group(1).replace(",", ""), (match.group(2) or "").ljust(2, "0")
    fen = int(whole) * FEN_PER_YUAN + int(frac)
    if fen <= 0:
        raise InvalidInput(f"{field}: must be more than zero", field=field)
    if fen > MAX_AMOUNT_FEN:
        raise InvalidInput(f"{field}: {text!r} is too large", field=field)
    return fen


def parse_whole(text: str | int, *, field: str, low: int, high: int) -> int:
    """A whole number a person typed (full-width digits too) from `low` to `high`, else
    InvalidInput in one style: "days: a whole number from 1 to 365"."""
    problem = InvalidInput(f"{field}: a whole number from {low} to {high}", field=field)
    if isinstance(text, bool):
        raise problem
    raw = str(text) if isinstance(text, int) else typed_number(text)
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise problem
    return int(raw)


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
