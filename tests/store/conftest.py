from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from jiedan_cli.store.db import open_db


@pytest.fixture
def store(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A fresh replica in a real SQLite file, signed in as user "me"."""
    conn = open_db(tmp_path / "replica.db")
    conn.execute("UPDATE sync_state SET user_id = 'me'")
    yield conn
    conn.close()
