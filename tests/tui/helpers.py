"""Reading what the dashboard shows, as plain text (what a user would read on screen)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.app import App


def screen_text(app: App[Any]) -> str:
    """The current screen, composited as the terminal would show it, without styles."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(app.screen._compositor.render_update(full=True, simplify=True))
    return console.export_text(styles=False)
