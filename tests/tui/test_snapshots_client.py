"""Client mode's pictures over the fixed market (market.py): the panes stacked at 80×24 and
side by side at 200×50 on the delivered order, the new-order dialog, and the question asked
before a delivery is accepted (the escrow released).
`pytest tests/tui/test_snapshots_client.py --snapshot-update` accepts a change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from jiedan_cli.tui.widgets.confirm_modal import ConfirmModal
from jiedan_cli.tui.widgets.form_modal import FormModal
from tests.tui.conftest import offline_app
from tests.tui.test_snapshots import Compare, settle


def _client(*keys: str) -> Any:
    """Client mode with its bids read, then `keys` pressed."""

    async def before(pilot: Pilot[Any]) -> None:
        await settle("5", ready=lambda s: s.query_one("#client-bids").row_count)(pilot)
        if keys:
            await settle(*keys)(pilot)

    return before


def test_client_mode_at_80x24(snap_compare: Compare, market_db: Path) -> None:
    assert snap_compare(offline_app(market_db), terminal_size=(80, 24), run_before=_client())


def test_client_mode_at_200x50_on_a_delivery(snap_compare: Compare, market_db: Path) -> None:
    before = _client("down")  # o21, delivered: accept or ask for a revision
    assert snap_compare(offline_app(market_db), terminal_size=(200, 50), run_before=before)


def test_new_order_dialog(snap_compare: Compare, market_db: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await _client()(pilot)
        await settle("n", ready=lambda s: isinstance(s, FormModal))(pilot)

    assert snap_compare(offline_app(market_db), terminal_size=(80, 24), run_before=before)


def test_accept_asks_first(snap_compare: Compare, market_db: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await _client("down")(pilot)  # o21, delivered
        await settle("c", ready=lambda s: isinstance(s, ConfirmModal))(pilot)

    assert snap_compare(offline_app(market_db), terminal_size=(80, 24), run_before=before)
