"""Reading what the dashboard shows, as plain text (what a user would read on screen)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.app import App

from jiedan_cli.store import outbox
from jiedan_cli.store.db import open_db


def screen_text(app: App[Any]) -> str:
    """The current screen, composited as the terminal would show it, without styles."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(app.screen._compositor.render_update(full=True, simplify=True))
    return console.export_text(styles=False)


def pending_intents(db: Path) -> list[tuple[str, dict[str, Any]]]:
    """What waits in the replica's outbox: (intent, args), oldest first."""
    conn = open_db(db)
    try:
        return [(op.intent, op.args) for op in outbox.pending(conn)]
    finally:
        conn.close()
