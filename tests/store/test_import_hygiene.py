"""A cold read command must not pay for heavy imports (performance.md P1/P2: import
sqlite_utils ≈110 ms, httpx ≈120 ms, textual ≈180 ms against a ≈20 ms floor)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.store.outbox import enqueue
from tests.store.factories import bid, order, page, put

HEAVY = [
    "sqlite_utils",
    "httpx",
    "textual",
    "sqlalchemy",
    "fastapi",
    "pydantic",
    "jieba",
    "rich",
    "typer",
    "jiedan_cli.server",
]

READ_PATH = """
import json, sys
from jiedan_cli.store.db import open_db
from jiedan_cli.store.queries import get_order, list_bids, list_messages, list_orders, search_orders
conn = open_db(sys.argv[1])
assert len(list_orders(conn, limit=50)) == 1
assert len(search_orders(conn, "网站")) == 1
get_order(conn, "o1"); list_bids(conn); list_messages(conn, "o1")
heavy = json.loads(sys.argv[2])
print(json.dumps(sorted(m for m in sys.modules if m in heavy or m.split(".")[0] in heavy
                        or m.startswith("jiedan_cli.server"))))
"""


def test_the_cold_read_path_imports_nothing_heavy(tmp_path: Path) -> None:
    target = tmp_path / "replica.db"
    conn = open_db(target)  # migrated here: only a pending migration may import sqlite_utils
    apply_page(conn, page(put("order", order("o1", "企业网站")), put("bid", bid("b1", "o1"))))
    enqueue(conn, "send_message", {"order_id": "o1", "text": "hi"}, "message", "m1")
    conn.close()
    done = subprocess.run(
        [sys.executable, "-c", READ_PATH, str(target), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert json.loads(done.stdout) == []
