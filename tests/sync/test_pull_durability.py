"""Pulled pages commit with synchronous=NORMAL, the outbox's commits with FULL (sync/pull.py
`unsynced_commits`; docs/decisions.md #15)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from jiedan_cli.store.db import open_db
from jiedan_cli.store.transaction import transaction
from jiedan_cli.sync.pull import unsynced_commits

NORMAL, FULL = 1, 2


def _synchronous(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA synchronous").fetchone()[0])


def test_pages_commit_unsynced_and_the_outbox_setting_comes_back(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "r.db")
    assert _synchronous(conn) == FULL
    with unsynced_commits(conn):
        assert _synchronous(conn) == NORMAL
    assert _synchronous(conn) == FULL
    with pytest.raises(RuntimeError), unsynced_commits(conn):
        raise RuntimeError("the pull failed")
    assert _synchronous(conn) == FULL


def test_inside_a_callers_transaction_the_setting_is_left_as_it_is(tmp_path: Path) -> None:
    """SQLite refuses to change it inside a transaction: the pull's pages then join the
    caller's, committed as the caller's setting says."""
    conn = open_db(tmp_path / "r.db")
    with transaction(conn), unsynced_commits(conn):
        assert _synchronous(conn) == FULL
    assert _synchronous(conn) == FULL
