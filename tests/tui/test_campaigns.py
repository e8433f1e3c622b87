"""The Points section shows the campaigns running or announced (pulled into the replica),
with what each gives and its urgency, offline; none shown when none is current."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.tui.app import JiedanApp
from tests.store.factories import page, put
from tests.tui.conftest import NOW, SIZE, shows
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.anyio


def campaign(
    id_: str, name: str, start: timedelta, end: timedelta, **fields: object
) -> dict[str, object]:
    return {
        "id": id_,
        "name": name,
        "kind": "points_multiplier",
        "multiplier": 2,
        "discount_bp": 0,
        "category": None,
        "starts_at": rfc3339(NOW + start),
        "ends_at": rfc3339(NOW + end),
        **fields,
    }


async def test_points_shows_current_campaigns_with_their_urgency(
    market_db: Path, make_app: Callable[..., JiedanApp]
) -> None:
    conn = open_db(market_db)
    try:
        apply_page(
            conn,
            page(
                put(
                    "campaign", campaign("c1", "积分翻倍", -timedelta(hours=1), timedelta(hours=3))
                ),
                put(
                    "campaign",
                    campaign(
                        "c2",
                        "周末特惠",
                        timedelta(days=2),
                        timedelta(days=3),
                        kind="fee_discount",
                        multiplier=1,
                        discount_bp=500,
                    ),
                ),
                put("campaign", campaign("c3", "已结束", -timedelta(days=2), -timedelta(days=1))),
            ),
            now=NOW,
        )
    finally:
        conn.close()
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("4")
        await shows(pilot, app, "积分翻倍 points ×2 — ends in 3 h")
        text = screen_text(app)
    assert "周末特惠 fee −5% — starts in 2 days" in text
    assert "已结束" not in text


async def test_no_campaign_line_when_none_is_current(make_app: Callable[..., JiedanApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await shows(pilot, app, "1,210 points")
        assert " — ends in " not in screen_text(app)
