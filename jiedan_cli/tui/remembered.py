"""What the dashboard remembers between runs, in <state dir>/dashboard.json (under
JIEDAN_HOME when set), beside nothing secret: when the user last looked at the orders board
(orders posted after it are marked new) and the theme they picked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jiedan_cli import locations


def _path() -> Path:
    return locations.state_dir() / "dashboard.json"


def _read() -> dict[str, Any]:
    try:
        found = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _remember(**changes: str) -> None:
    path = _path()
    try:
        locations.private_dir(path.parent, ours=True)
        locations.write_private(path, json.dumps({**_read(), **changes}))
    except OSError:
        pass  # a read-only state dir costs only the remembering


def _text(key: str) -> str | None:
    value = _read().get(key)
    return value if isinstance(value, str) else None


def load_last_look() -> str | None:
    """The `created_at` of the newest order seen last time (None: the first look)."""
    return _text("last_look")


def save_last_look(newest_seen: str) -> None:
    _remember(last_look=newest_seen)


def load_theme() -> str | None:
    return _text("theme")


def save_theme(name: str) -> None:
    _remember(theme=name)
