"""A write transaction's changes go in as one INSERT … RETURNING and one INSERT of their
audiences (services/changes.py): each change's seq must rise in the order it was published
(a pull reads one transaction's changes in seq order, so a later change of one object must
come later), and each audience row must name its own change. Checked on SQLite and
PostgreSQL with more changes than one batch of SQLAlchemy's "insert many values" holds (1,000
rows), some of them published inside savepoints that roll back, as a refused pushed
operation's are."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from sqlalchemy import select

from jiedan_cli.server.db import Database
from jiedan_cli.server.db.engine import savepoint
from jiedan_cli.server.db.tables import change_audience, change_log
from jiedan_cli.server.services.changes import PUBLIC, Audience, Kind, publish_deletion

COUNT = 1_200
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


class Refused(Exception):
    pass


def _audience(n: int) -> Audience:
    """Every third change public, the others for one reader or two."""
    if n % 3 == 0:
        return PUBLIC
    return [f"reader-{n % 5}"] if n % 3 == 1 else [f"reader-{n % 5}", "reader-x"]


def test_a_transactions_changes_keep_publish_order_and_their_own_audiences(
    database_url: str,
) -> None:
    db = Database(database_url)
    db.migrate()
    try:
        kept: list[int] = []
        with db.write() as conn:
            for n in range(COUNT):
                if n % 97 == 5:  # refused: what it published goes with its savepoint
                    with contextlib.suppress(Refused), savepoint(conn):
                        publish_deletion(conn, Kind.BID, f"b{n}", audience=_audience(n), now=NOW)
                        raise Refused
                    continue
                publish_deletion(conn, Kind.BID, f"b{n}", audience=_audience(n), now=NOW)
                kept.append(n)
        with db.read() as conn:
            logged = conn.execute(
                select(change_log.c.seq, change_log.c.txid, change_log.c.entity_id)
                .where(change_log.c.entity == Kind.BID)
                .order_by(change_log.c.seq)
            ).all()
            addressed = conn.execute(
                select(change_audience.c.user_id, change_audience.c.txid, change_log.c.entity_id)
                .join(change_log, change_log.c.seq == change_audience.c.seq)
                .where(change_log.c.entity == Kind.BID)
            ).all()
        assert [row.entity_id for row in logged] == [f"b{n}" for n in kept]
        assert len({row.txid for row in logged}) == 1  # one transaction
        expected = {
            (reader, f"b{n}")
            for n in kept
            if (readers := _audience(n)) is not PUBLIC
            for reader in readers  # type: ignore[union-attr]
        }
        assert sorted((row.user_id, row.entity_id) for row in addressed) == sorted(expected)
        assert {row.txid for row in addressed} == {logged[0].txid}
    finally:
        db.dispose()
