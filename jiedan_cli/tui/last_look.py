"""When the user last looked at the orders board: orders posted after it are marked new.
Kept in <state dir>/dashboard.json (under JIEDAN_HOME when set), beside nothing secret."""

from __future__ import annotations

import json
from pathlib import Path

from jiedan_cli import locations


def _path() -> Path:
    return locations.state_dir() / "dashboard.json"


def load_last_look() -> str | None:
    """The `created_at` of the newest order seen last time (None: the first look)."""
    try:
        value = json.loads(_path().read_text(encoding="utf-8")).get("last_look")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def save_last_look(newest_seen: str) -> None:
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"last_look": newest_seen}), encoding="utf-8")
    except OSError:
        pass  # a read-only state dir costs only the highlighting
