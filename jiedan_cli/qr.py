"""A QR code as terminal text: `jiedan auth 2fa enable` and the dashboard show the otpauth URI
as one, for an authenticator app's camera. segno draws the symbol; each character cell here
holds two modules, upper and lower, in explicit black and white: half as tall as one module a
line, and right on a dark terminal as on a light one (a phone reads dark modules on light)."""

from __future__ import annotations

from itertools import groupby

from rich.style import Style
from rich.text import Text

BORDER = 2  # quiet-zone modules around the symbol, drawn white (the standard's 4 is too tall)
DARK, LIGHT = "#000000", "#ffffff"  # exact: a theme may soften its named black and white


def qr_text(data: str) -> Text:
    import segno

    rows = [list(row) for row in segno.make_qr(data, error="l").matrix_iter(border=BORDER)]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))  # a light last half-line
    text = Text()
    for upper, lower in zip(rows[::2], rows[1::2], strict=True):
        for (top, bottom), run in groupby(zip(upper, lower, strict=True)):
            style = Style(color=DARK if top else LIGHT, bgcolor=DARK if bottom else LIGHT)
            text.append("▀" * len(list(run)), style)
        text.append("\n")
    return text
