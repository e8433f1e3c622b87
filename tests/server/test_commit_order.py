"""The pull cursor never skips a committed change (sync.md).

On PostgreSQL a change's seq comes from a sequence at insert time, so a transaction holding
seq 7 can commit after one holding seq 8, and a reader that pulled in between would move its
cursor past 7 for ever. services/changes.py tags each change with its transaction's id and
pulls read in (txid, seq) order below the oldest transaction still running. Here writers
race — each appends, then dawdles a few random milliseconds before committing (some roll
back instead) — while a reader pulls with its cursor non-stop; afterwards the reader must
have seen exactly every committed seq, each once."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import change_log
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.changes import CURRENT_TXID, record_change
from jiedan_cli.server.services.sync_pull import pull_changes

WRITERS = 6
WRITES_EACH = 40
READER = Actor("reader", "reader@example.com", "reader", frozenset({"freelancer"}))
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class RolledBack(Exception):
    pass


def write_changes(db: Database, seed: int, failures: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        for n in range(WRITES_EACH):
            try:
                with db.write() as conn:
                    time.sleep(rng.uniform(0, 0.002))
                    record_change(
                        conn,
                        "probe",
                        f"{seed}-{n}",
                        {"writer": seed, "n": n},
                        now=NOW,
                        public=rng.random() < 0.5,
                        audience=["reader"],
                    )
                    time.sleep(rng.uniform(0, 0.005))  # commit late: the dangerous moment
                    if rng.random() < 0.1:
                        raise RolledBack
            except RolledBack:
                pass
    except BaseException as exc:
        failures.append(exc)


def read_until(db: Database, done: threading.Event, seen: list[int]) -> None:
    cursor = ""
    while True:
        finished = done.is_set()  # checked before the pull: one full pull after the last commit
        with db.read() as conn:
            page = pull_changes(conn, READER, cursor=cursor, limit=7)
        seen.extend(change["seq"] for change in page["changes"])
        cursor = page["next_cursor"]
        if finished and not page["has_more"]:
            return


@pytest.mark.postgres
def test_a_reader_pulling_during_racing_writes_skips_no_committed_change(pg_url: str) -> None:
    db = Database(pg_url)
    db.migrate()
    try:
        failures: list[BaseException] = []
        seen: list[int] = []
        done = threading.Event()
        writers = [
            threading.Thread(target=write_changes, args=(db, seed, failures))
            for seed in range(WRITERS)
        ]
        reader = threading.Thread(target=read_until, args=(db, done, seen))
        reader.start()
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        done.set()
        reader.join(timeout=60)
        assert not failures, failures
        with db.read() as conn:
            committed = conn.execute(
                select(change_log.c.seq).where(change_log.c.entity == "probe")
            ).scalars()
            committed_seqs = sorted(committed)
        assert len(committed_seqs) > WRITERS * WRITES_EACH // 2
        assert len(seen) == len(set(seen)), "each change is pulled once"
        assert sorted(seen) == committed_seqs, "every committed change is pulled"
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_newer_change_from_an_older_transaction_is_not_overwritten(pg_url: str) -> None:
    """Transaction ids are taken at the first write or lock, not at commit. Here `late` takes
    its id first, `early` (a higher id) changes the object and commits, then `late` changes
    the same object and commits: `late`'s change is the newer (higher seq) but comes first in
    (txid, seq) order. The reader must end with it, whether it pulls once or page by page."""
    db = Database(pg_url)
    db.migrate()
    try:
        with db.engine.connect() as late, db.engine.connect() as early:
            late_tx = late.begin()
            late.execute(select(CURRENT_TXID)).scalar_one()  # an id now, a change later
            with early.begin():
                record_change(early, "probe", "same", {"v": "early"}, now=NOW, public=True)
            record_change(late, "probe", "same", {"v": "late"}, now=NOW, public=True)
            record_change(late, "probe", "other", {"v": "late"}, now=NOW, audience=["reader"])
            late_tx.commit()
        for limit in (1, 100):
            cursor, last = "", {}
            while True:
                with db.read() as conn:
                    page = pull_changes(conn, READER, cursor=cursor, limit=limit)
                for change in page["changes"]:
                    last[change["id"]] = change["data"]
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    break
            assert last == {"same": {"v": "late"}, "other": {"v": "late"}}, limit
    finally:
        db.dispose()
