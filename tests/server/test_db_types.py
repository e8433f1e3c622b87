"""UTCDateTime's SQLite binding, made in one step (db/types.py): the same text SQLAlchemy's
own two processors store — dates sort and compare as text on SQLite, so one character of
difference would misorder every window the risk engine counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select, text
from sqlalchemy.dialects import sqlite

from jiedan_cli.server.db.types import UTCDateTime

SQLITE = sqlite.dialect()
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
AWARE = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=OFFSETS
)


def sqlalchemys_own(value: datetime) -> str:
    """What UTCDateTime stored before: its process_bind_param, then SQLite DATETIME's."""
    naive = UTCDateTime().process_bind_param(value, SQLITE)
    stored = sqlite.DATETIME().bind_processor(SQLITE)(naive)  # type: ignore[misc]
    assert isinstance(stored, str)
    return stored


@given(AWARE)
def test_the_text_stored_is_sqlalchemys(value: datetime) -> None:
    process = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert process is not None
    assert process(value) == sqlalchemys_own(value)


def test_none_stays_none_and_a_naive_time_is_refused() -> None:
    process = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert process is not None
    assert process(None) is None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 11, 25, 9, 0))


def test_a_time_written_and_read_back_through_sqlite() -> None:
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime)
    )
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    at = datetime(2026, 11, 25, 17, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    with engine.begin() as conn:
        conn.execute(table.insert().values(id=1, at=at))
        raw = conn.execute(text("SELECT at FROM t")).scalar_one()
        back = conn.execute(select(table.c.at)).scalar_one()
        earlier = conn.execute(
            select(table.c.id).where(table.c.at < at + timedelta(microseconds=1))
        ).all()
    assert raw == "2026-11-25 09:00:00.000000"
    assert back == at.astimezone(UTC) and back.tzinfo is UTC
    assert earlier == [(1,)]
