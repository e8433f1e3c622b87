"""Off-platform leakage (security.md): phone numbers, WeChat/QQ ids and e-mail addresses in
what a counterpart reads before the award — messages, a bid's message, an order's title and
description — are masked (and a message flagged).

People who mean to move a deal off the platform write `1 3 8 0 0 1 3 8 0 0 0`,
`１３８-００１３-８０００`, `138.0013.8000`, `一三八…` or put zero-width characters between the
digits. So the patterns run over a folded copy of the text, one character for one (so a
match's span is the original's): NFKC per character (full-width and other compatibility
forms to ASCII), Chinese numerals to digits, format characters (zero-width space, joiners)
to one invisible mark that never splits a number. Between the digits of a number a short run
of separators (spaces, `-`, `.`, `_`, `/`, `·` …) is allowed — but not `,`, `，` or `、`,
which separate the items of a list.

What is not a phone number: amounts, dates, ranges (`预算 5000 元，7 天`, `2026-12-31`,
`13000-16000 元`). A mobile number is 11 digits starting `1[3-9]`, in any grouping — except
one that reads as a range of two amounts of 4 or more digits (`13000-16000 3 天` is 11 digits
too, and left alone: so is a number disguised as `1380-0138 000`, the price of not masking
budgets). A date alone is 8 digits, and one of this century starts `20`, never a mobile."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

MASK = "[已隐藏]"

_CHINESE_DIGITS = dict(
    zip("零〇一幺二三四五六七八九壹贰叁肆伍陆柒捌玖", "001123456789123456789", strict=True)
)
_INVISIBLE = "\u200b"  # what every format character folds to
# between two digits of one number: up to 3 visible separators, any number of invisible ones
_SEP = rf"{_INVISIBLE}*(?:[\s\-_.·•/\\|*~'\"()\[\]—–−]{_INVISIBLE}*){{0,3}}"

_MOBILE = re.compile(
    rf"(?<![0-9])(?:\+?{_SEP}8{_SEP}6{_SEP})?(?P<body>1{_SEP}[3-9](?:{_SEP}[0-9]){{9}})(?![0-9])"
)
_OTHERS = (
    re.compile(r"[A-Za-z0-9._%+-]+\s{0,2}@\s{0,2}[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    re.compile(  # WeChat: 微信/vx/wx … then an id (after a latin word, a separator first)
        r"(?i)(?:[微薇威v]\s?信[\s:号]{0,4}"
        r"|(?<![A-Za-z])(?:v\s?x|w\s?x|we\s?chat|wei\s?xin)[\s:号]{1,4})"
        r"[A-Za-z][-_A-Za-z0-9]{5,19}"
        r"|(?<![A-Za-z])wxid_[-_A-Za-z0-9]{4,30}"
    ),
    re.compile(
        rf"(?i)(?<![A-Za-z])(?:q\s?q|扣\s?扣|企鹅)[\s:号]{{0,4}}[1-9](?:{_SEP}[0-9]){{4,11}}"
        r"(?![0-9])"
    ),
)


def _fold_char(ch: str) -> str:
    if ch in _CHINESE_DIGITS:
        return _CHINESE_DIGITS[ch]
    if unicodedata.category(ch) == "Cf":  # zero-width space, joiners, bidi marks …
        return _INVISIBLE
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def fold(text: str) -> str:
    """`text` with one character for each of its own, as the patterns read it."""
    if text.isascii():  # nothing to fold (the common case, and bids are a hot path)
        return text
    return "".join(_fold_char(ch) for ch in text)


_RANGE = re.compile(r"[0-9]{4,}\s*[-~—–−]\s*[0-9]{4,}")


def _is_mobile(body: str) -> bool:
    """Not a range of two amounts (`13000-16000` followed by a digit)."""
    return _RANGE.match(body.replace(_INVISIBLE, "")) is None


def _spans(folded: str) -> Iterator[tuple[int, int]]:
    for found in _MOBILE.finditer(folded):
        if _is_mobile(found.group("body")):
            yield found.span()
    for pattern in _OTHERS:
        for found in pattern.finditer(folded):
            yield found.span()


def mask_contacts(text: str) -> tuple[str, bool]:
    """The text with contact details replaced, and whether anything was found."""
    spans = sorted(_spans(fold(text)))
    if not spans:
        return text, False
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, at = [], 0
    for start, end in merged:
        parts += [text[at:start], MASK]
        at = end
    parts.append(text[at:])
    return "".join(parts), True


def masked(text: str) -> str:
    """`text` as a counterpart may read it before the award."""
    return mask_contacts(text)[0]
