"""Files readable by others (issue 9, item 12): under the common umask 022 every folder the
client makes is 0700 and every file it writes 0600 — the replica and its -wal/-shm
(messages, ledger, location, e-mail), the settings and credentials, the dashboard's memory,
exports. An export replaces a file that was there (0600, a new file: nothing is written into
a file others could read) and refuses to follow a symbolic link."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from jiedan_cli import locations
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.store.transaction import transaction
from jiedan_cli.sync import config
from jiedan_cli.tui import remembered
from tests.cli.conftest import User, closed_port_url, jiedan
from tests.store.factories import page, put


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The usual umask (the subprocesses of `jiedan` inherit it)."""
    was = os.umask(0o022)
    yield
    os.umask(was)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def ledger_line() -> dict[str, object]:
    return {
        "id": "t1:cr",
        "transfer_id": "t1",
        "order_id": "o1",
        "kind": "release",
        "amount_fen": 90_000,
        "fee_fen": 10_000,
        "currency": "CNY",
        "account": "freelancer:me:available",
        "created_at": "2026-03-01T08:00:00Z",
    }


def test_a_new_replica_its_wal_and_jiedan_home_are_private(
    jiedan_home: Path, tmp_path: Path
) -> None:
    assert not jiedan_home.exists()
    conn = open_db()  # the signed-in user's replica, under JIEDAN_HOME
    try:
        with transaction(conn):
            apply_page(conn, page(put("ledger_entry", ledger_line())))
        data = locations.data_dir()
        db = data / "jiedan.db"
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()  # while a connection is open
        assert {p.name: mode(p) for p in (jiedan_home, data)} == {
            jiedan_home.name: 0o700,
            data.name: 0o700,
        }
        assert {p.name: mode(p) for p in (db, wal, shm)} == {
            "jiedan.db": 0o600,
            "jiedan.db-wal": 0o600,
            "jiedan.db-shm": 0o600,
        }
    finally:
        conn.close()


def test_a_replica_an_older_version_left_readable_is_tightened(jiedan_home: Path) -> None:
    conn = open_db()
    conn.close()
    data = locations.data_dir()
    db = data / "jiedan.db"
    leftovers = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}.sync-lock")]
    for path in leftovers[1:]:
        path.touch()
    for path in leftovers:
        os.chmod(path, 0o644)
    os.chmod(data, 0o755)

    open_db().close()

    assert mode(data) == 0o700
    assert [mode(path) for path in leftovers if path.exists()] == [0o600] * sum(
        path.exists() for path in leftovers
    )
    assert mode(db) == 0o600


def test_a_replica_given_by_path_keeps_its_existing_folder_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    open_db(shared / "replica.db").close()
    assert mode(shared) == 0o755  # not jiedan's folder: only the file is made private
    assert mode(shared / "replica.db") == 0o600
    open_db(tmp_path / "new" / "replica.db").close()
    assert mode(tmp_path / "new") == 0o700


def test_settings_credentials_and_the_dashboards_memory_are_private(jiedan_home: Path) -> None:
    config.update(server="http://127.0.0.1:9")
    config.write_private_json(jiedan_home / "config" / "credentials.json", {"s": {"token": "t"}})
    remembered.save_theme("textual-light")
    for folder in (locations.config_dir(), locations.state_dir(), jiedan_home):
        assert mode(folder) == 0o700, folder
    for name in ("config/config.json", "config/credentials.json", "state/dashboard.json"):
        assert mode(jiedan_home / name) == 0o600, name
    # a settings file an older version left readable is replaced by a private one
    os.chmod(config.config_path(), 0o644)
    config.update(server="http://127.0.0.1:10")
    assert mode(config.config_path()) == 0o600


@pytest.fixture
def home_with_a_ledger(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    conn = open_db(home / "data" / "jiedan.db")
    try:
        conn.execute("UPDATE sync_state SET user_id = 'me'")
        apply_page(conn, page(put("ledger_entry", ledger_line())))
    finally:
        conn.close()
    return home


def export(home: Path, target: Path) -> tuple[int, str]:
    done = jiedan("earnings", "export", "-o", str(target), home=home, server=closed_port_url())
    return done.code, done.stderr


def test_an_export_is_a_new_private_file_even_over_a_readable_one(
    home_with_a_ledger: Path, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh.csv"
    assert export(home_with_a_ledger, fresh)[0] == 0
    assert mode(fresh) == 0o600 and "t1:cr" in fresh.read_text()

    existing = tmp_path / "existing.csv"
    existing.write_text("old\n")
    os.chmod(existing, 0o644)
    with existing.open() as opened_before:  # someone who could read it held it open
        assert export(home_with_a_ledger, existing)[0] == 0
        assert opened_before.read() == "old\n"  # they see none of the new content
    assert mode(existing) == 0o600 and "t1:cr" in existing.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_export_refuses_to_follow_a_symbolic_link(
    home_with_a_ledger: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    os.chmod(victim, 0o644)
    link = tmp_path / "link.csv"
    link.symlink_to(victim)
    code, stderr = export(home_with_a_ledger, link)
    assert code == 2
    assert (
        stderr
        == f"error: -o: {link} is a symbolic link: not written through; give the file itself\n"
    )
    assert victim.read_text() == "mine\n" and mode(victim) == 0o644
    assert link.is_symlink()

    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "not-yet.csv")
    assert export(home_with_a_ledger, dangling)[0] == 2
    assert not (tmp_path / "not-yet.csv").exists()


def test_account_export_over_a_readable_file_and_at_a_link(
    freelancer: User, tmp_path: Path
) -> None:
    existing = tmp_path / "mine.json"
    existing.write_text("{}")
    os.chmod(existing, 0o644)
    freelancer.ok("account", "export", "-o", str(existing))
    assert mode(existing) == 0o600
    assert json.loads(existing.read_text())["account"]["id"] == freelancer.id

    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    link = tmp_path / "link.json"
    link.symlink_to(victim)
    done = freelancer.run("account", "export", "-o", str(link))
    assert done.code == 2 and "symbolic link" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert victim.read_text() == "mine\n"
