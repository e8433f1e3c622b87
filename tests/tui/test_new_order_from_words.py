"""The dashboard's new-order dialog: "Describe it" fills the form from the same draft as
`client post --from-text` (需求结构化) and lists the questions left open; Enter there fills,
never posts; the order then posts what the form shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from jiedan_cli.tui.app import JiedanApp
from tests.tui.conftest import SIZE, client_mode, wait_for
from tests.tui.helpers import pending_intents
from tests.tui.test_client_flows import new_order_form

pytestmark = pytest.mark.anyio

LOGO = "想要一个清新风格的logo，预算500，下周五前"


def next_weeks_friday() -> date:
    today = date.today()
    return today - timedelta(days=today.weekday()) + timedelta(days=11)


async def test_describing_the_order_fills_the_form_and_posting_sends_it(
    make_app: Callable[..., JiedanApp], market_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await client_mode(app, pilot)
        form = await new_order_form(app, pilot, describe=LOGO)
        form.query_one("#form-describe", Input).focus()
        await pilot.press("enter")
        title = form.query_one("#form-title", Input)
        await wait_for(pilot, lambda: title.value == "清新风格的logo", what="the form filled")
        assert form.is_attached  # Enter filled the form; nothing was posted
        assert form.query_one("#form-category", Select).value == "design"
        assert form.query_one("#form-tags", Input).value == "logo"
        assert form.query_one("#form-budget_min_fen", Input).value == "500.00"
        assert form.query_one("#form-budget_max_fen", Input).value == "500.00"
        assert form.query_one("#form-deadline", Input).value == next_weeks_friday().isoformat()
        notes = str(form.query_one("#draft-notes", Static).render())
        assert "清新" in notes and "是否需要源文件" in notes
        assert pending_intents(market_db) == []
        form.query_one("#form-budget_max_fen", Input).value = "800"  # a field corrected by hand
        await pilot.click("#form-submit")
        await wait_for(pilot, lambda: not form.is_attached, what="the dialog closed")
    [(intent, args)] = pending_intents(market_db)
    assert intent == "post_order"
    assert {k: v for k, v in args.items() if k != "id"} == {
        "title": "清新风格的logo",
        "description": LOGO,
        "category": "design",
        "tags": ["logo"],
        "budget_min_fen": 50_000,
        "budget_max_fen": 80_000,
        "deadline": next_weeks_friday().isoformat(),
    }
