"""The cold read commands import nothing heavy (performance.md P1/P2): `orders list`,
`orders search`, `orders show` and `bid list` run through the real entry point, checked with
`python -X importtime`, must not import httpx, textual, sqlite_utils, rich, pydantic or
sqlalchemy (≈100–200 ms each against a ≈20 ms floor)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from tests.cli.conftest import closed_port_url, jiedan
from tests.store.factories import bid, order, page, put

HEAVY = ("httpx", "textual", "sqlite_utils", "rich", "pydantic", "sqlalchemy", "jieba")


def imported_modules(importtime_log: str) -> set[str]:
    """Module names from `-X importtime` lines: `import time: self | cumulative | name`."""
    names = set()
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A replica with an order and a bid, migrated beforehand (as after a first sync)."""
    home = tmp_path / "home"
    conn = open_db(home / "data" / "jiedan.db")
    apply_page(conn, page(put("order", order("o1", "企业网站")), put("bid", bid("b1", "o1"))))
    conn.close()
    return home


@pytest.mark.subprocess(reason="-X importtime: a fresh interpreter's imports")
@pytest.mark.parametrize(
    "args",
    [
        ("orders", "list", "--json", "--limit", "50"),
        ("orders", "list", "--budget-min", "100", "--near", "31.2,121.4"),
        ("orders", "search", "网站", "--json"),
        ("orders", "show", "o1", "--json"),
        ("bid", "list", "--json"),
    ],
)
def test_read_commands_import_nothing_heavy(home: Path, args: tuple[str, ...]) -> None:
    done = jiedan(*args, home=home, server=closed_port_url(), python_flags=("-X", "importtime"))
    assert done.code == 0, str(done)
    modules = imported_modules(done.stderr)
    assert "jiedan_cli.commands.common" in modules  # the log is real
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == []
    assert not any(
        m.startswith("jiedan_cli.server") or m.startswith("jiedan_cli.sync.http") for m in modules
    )
