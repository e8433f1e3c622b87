from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path

import pytest

from jiedan_cli.store import migrations
from jiedan_cli.store.db import connect, db_path, open_db
from jiedan_cli.store.migrations import MIGRATIONS, migrate

SERVER_COPY = [
    "orders",
    "order_tags",
    "orders_fts",
    "bids",
    "milestones",
    "deliveries",
    "messages",
    "reviews",
    "ledger_entries",
    "points_entries",
    "profiles",
    "disputes",
]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_new_database_gets_every_table_and_records_each_migration(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "r.db")
    assert set(SERVER_COPY) | {"sync_state", "outbox", "_migrations"} <= _tables(conn)
    names = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
    assert names == [m.__name__ for m in MIGRATIONS]


def test_migrating_again_applies_nothing_and_keeps_the_client_id(tmp_path: Path) -> None:
    first = open_db(tmp_path / "r.db")
    client_id = first.execute("SELECT client_id FROM sync_state").fetchone()[0]
    assert uuid.UUID(client_id).version == 4
    first.close()
    again = open_db(tmp_path / "r.db")
    assert migrate(again) == []
    assert again.execute("SELECT client_id FROM sync_state").fetchone()[0] == client_id
    assert again.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)


def test_opening_an_up_to_date_database_costs_one_migration_query(tmp_path: Path) -> None:
    open_db(tmp_path / "r.db").close()
    conn = connect(tmp_path / "r.db")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    assert migrate(conn) == []
    assert statements == ["SELECT name FROM _migrations"]


def test_a_failing_migration_leaves_no_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def m002_broken(db: object) -> None:
        conn = db.conn  # type: ignore[attr-defined]
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    open_db(tmp_path / "r.db").close()
    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, m002_broken])
    with pytest.raises(RuntimeError, match="boom"):
        open_db(tmp_path / "r.db")
    conn = connect(tmp_path / "r.db")
    assert "half_done" not in _tables(conn)
    assert "m002_broken" not in {row[0] for row in conn.execute("SELECT name FROM _migrations")}


def test_processes_opening_a_new_database_together_apply_each_migration_once(
    tmp_path: Path,
) -> None:
    target = tmp_path / "r.db"
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            open_db(target).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    conn = connect(target)
    assert conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("SELECT count(*) FROM sync_state").fetchone()[0] == 1


def test_the_replica_lives_under_jiedan_home_in_wal_mode(jiedan_home: Path) -> None:
    assert db_path() == jiedan_home / "data" / "jiedan.db"
    conn = open_db()
    assert db_path().exists()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
