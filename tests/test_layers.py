"""The rooms of docs/architecture.md and what each may import, checked over every module's
imports (those inside functions too): a new import across a wall fails here, by name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "jiedan_cli"

# room → the rooms of ours it may import (itself always)
ALLOWED = {
    "domain": set(),
    "store": {"domain", "locations"},
    "sync": {"store", "domain", "locations"},
    "tui": {"store", "sync", "domain", "locations", "qr", "render"},
    "server": {"domain"},
    "locations": set(),
    "qr": set(),
    "render": set(),
}


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "jiedan_cli" or len(parts) < 2:
        return None
    return parts[1].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(room: str) -> list[Path]:
    folder = PACKAGE / room
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [PACKAGE / f"{room}.py"]


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_each_room_imports_only_what_the_architecture_allows(room: str) -> None:
    crossings = []
    for path in _modules(room):
        for module in _imports(path):
            other = _room(module)
            if other is not None and other != room and other not in ALLOWED[room]:
                crossings.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert crossings == []
