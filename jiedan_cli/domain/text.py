"""What text a user may store for others to read: no character that steers a terminal or
reorders what is shown. Control characters (C0, DEL, C1: ESC, BEL, CR, …) and the bidi
embedding, override and isolate characters are refused; a multi-line field keeps its
newlines and tabs. The client escapes what it shows anyway (render.py); this keeps such
text out of the marketplace in the first place."""

from __future__ import annotations

import re

# C0 but \t and \n, DEL, C1; then U+202A–U+202E (embeddings, overrides) and U+2066–U+2069
# (isolates).
_UNSAFE_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def unsafe_character(text: str, *, multiline: bool) -> str | None:
    """Why `text` may not be stored (naming its first unsafe character), or None."""
    found = (_UNSAFE_MULTILINE if multiline else _UNSAFE_LINE).search(text)
    if found is None:
        return None
    char = found.group()
    kind = "a bidi control character" if char >= "\u202a" else "a control character"
    where = "" if multiline or char not in "\t\n" else " (one line only)"
    return f"must not contain {kind}: U+{ord(char):04X} at position {found.start()}{where}"
