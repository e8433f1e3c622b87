"""The work on an order, drawn over the fixed market (market.py): My work with the
highlighted order's panel (narrow: under the table; wide: beside it), the review dialog, and
a completed order's screen. `--snapshot-update` accepts a change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from jiedan_cli.tui.screens.order_detail import OrderDetail
from jiedan_cli.tui.widgets.form_modal import FormModal
from tests.tui.conftest import SIZE, offline_app
from tests.tui.test_snapshots import settle

Compare = Callable[..., bool]


def _revising() -> Callable[[Pilot[Any]], Awaitable[None]]:
    """My work with o30 highlighted: the revision the client asked for shows first."""

    async def before(pilot: Pilot[Any]) -> None:
        await settle("2", ready=lambda s: s.query_one("#bids-table").row_count)(pilot)
        await settle("down", ready=lambda s: (s.highlighted() or {}).get("id") == "o30")(pilot)

    return before


def test_my_work_with_the_revision_asked(snap_compare: Compare, market_db: Path) -> None:
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=_revising())


def test_my_work_at_80x24(snap_compare: Compare, market_db: Path) -> None:
    assert snap_compare(offline_app(market_db), terminal_size=(80, 24), run_before=_revising())


def test_my_work_at_200x50(snap_compare: Compare, market_db: Path) -> None:
    assert snap_compare(offline_app(market_db), terminal_size=(200, 50), run_before=_revising())


def _completed_order(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def before(pilot: Pilot[Any]) -> None:
        await settle()(pilot)
        await pilot.app.push_screen(OrderDetail("old4"))
        await settle(ready=lambda s: s.loaded is not None)(pilot)
        if keys:
            await settle(*keys, ready=lambda s: isinstance(s, FormModal))(pilot)

    return before


def test_order_detail_of_a_completed_order(snap_compare: Compare, market_db: Path) -> None:
    before = _completed_order()
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)


def test_the_review_dialog(snap_compare: Compare, market_db: Path) -> None:
    before = _completed_order("v")
    assert snap_compare(offline_app(market_db), terminal_size=SIZE, run_before=before)
