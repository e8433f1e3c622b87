"""Off-platform leakage (security.md): phone numbers, WeChat/QQ ids and e-mail addresses in
messages before the award are masked and flagged."""

from __future__ import annotations

import re

_PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d){8}(?!\d)"),  # mainland mobile
    re.compile(r"(?i)(?:微信|vx|wx|wechat|weixin|v信)\s*[:：号]?\s*[A-Za-z][-_A-Za-z0-9]{5,19}"),
    re.compile(r"(?i)(?:qq|扣扣)\s*[:：号]?\s*[1-9]\d{4,11}"),
)
MASK = "[已隐藏]"


def mask_contacts(text: str) -> tuple[str, bool]:
    """The text with contact details replaced, and whether anything was found."""
    found = False
    for pattern in _PATTERNS:
        text, count = pattern.subn(MASK, text)
        found = found or count > 0
    return text, found
