"""Points lots and their expiry (domain/points.py): calendar months, first in first out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jiedan_cli.domain.points import (
    add_months,
    expired_entry_id,
    expired_lots,
    next_expiry,
    points_lots,
)

T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def test_calendar_months_clamp_to_the_last_day() -> None:
    assert add_months(T0, 1) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert add_months(T0, 13) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert add_months(datetime(2027, 12, 15, tzinfo=UTC), 1) == datetime(2028, 1, 15, tzinfo=UTC)
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)


def test_spending_uses_the_oldest_lots_first() -> None:
    later = datetime(2026, 3, 1, tzinfo=UTC)
    spent = datetime(2026, 3, 2, tzinfo=UTC)
    lots = points_lots([("b", 300, later), ("a", 400, T0), ("r", -500, spent)])
    assert [(lot.entry_id, lot.remaining) for lot in lots] == [("b", 200)]
    assert points_lots([("a", 100, T0), ("r", -100, spent)]) == []


def test_a_lot_expires_at_its_edge_and_the_next_is_announced() -> None:
    lots = points_lots([("a", 120, T0), ("b", 30, datetime(2026, 2, 1, tzinfo=UTC))])
    edge = add_months(T0, 24)
    assert expired_lots(lots, 24, edge - timedelta(microseconds=1)) == []
    assert [lot.entry_id for lot in expired_lots(lots, 24, edge)] == ["a"]
    assert expired_lots(lots, 0, datetime(2100, 1, 1, tzinfo=UTC)) == []  # 0: never
    soon = next_expiry(lots, 24, T0)
    assert soon is not None and (soon["points"], soon["on"]) == (120, "2028-01-31")
    assert next_expiry(lots, 24, edge)["points"] == 30  # type: ignore[index]
    assert expired_entry_id("a") == expired_entry_id("a") != expired_entry_id("b")
    assert len(expired_entry_id("completion:" + "x" * 100)) <= 120
