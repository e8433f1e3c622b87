"""The Earnings screen's dialogs over the fixed market (market.py), and the screen at 80×24.
`pytest tests/tui/test_snapshots_earnings.py --snapshot-update` accepts a change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import SIZE, offline_app, wait_for
from tests.tui.test_snapshots import Compare, settle

LEDGER_SHOWN = settle("3", ready=lambda s: s.query_one("#ledger-table").row_count)


def test_earnings_at_80x24(snap_compare: Compare, market_db: Path) -> None:
    app = offline_app(market_db)
    assert snap_compare(app, terminal_size=(80, 24), run_before=LEDGER_SHOWN)


def test_withdraw_dialog_refusing_more_than_available(
    snap_compare: Compare, market_db: Path
) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await LEDGER_SHOWN(pilot)
        await settle("w", ready=lambda s: s.query("#form-amount"))(pilot)
        pilot.app.screen.query_one("#form-amount", Input).value = "10000"
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#form-amount-error").display)
        await settle()(pilot)

    app = offline_app(market_db)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_export_dialog(snap_compare: Compare, market_db: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await LEDGER_SHOWN(pilot)
        await settle("e", ready=lambda s: s.query("#form-path"))(pilot)

    app = offline_app(market_db)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)
