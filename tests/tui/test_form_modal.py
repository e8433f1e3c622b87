"""The dialog form every dashboard action with words to type uses (widgets/form_modal.py):
live checks by the domain's rules, a whole-form check, and its answer."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.money import parse_yuan
from jiedan_cli.tui.widgets.field_error import FieldError
from jiedan_cli.tui.widgets.form_modal import Field, FormModal, Values
from tests.tui.conftest import wait_for

pytestmark = pytest.mark.anyio

FIELDS = [
    Field("low", "Min ¥", check=lambda text: parse_yuan(text, field="low"), required=True),
    Field("high", "Max ¥", check=lambda text: parse_yuan(text, field="high"), required=True),
    Field("kind", "Kind", choices=[("Design", "design"), ("Repair", "repair")]),
]


def _ordered(values: Values) -> Values:
    if values["low"] > values["high"]:
        raise InvalidInput("the minimum is above the maximum", field="low")
    return values


class FormApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Values | None] = []

    def on_mount(self) -> None:
        self.push_screen(FormModal("Budget", FIELDS, check_all=_ordered), self.answers.append)


def _error(app: App[Any], name: str) -> str:
    return app.screen.query_one(f"#form-{name}-error", FieldError).message


async def test_fields_are_checked_as_typed_and_the_form_answers_the_checked_values() -> None:
    app = FormApp()
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal))
        app.screen.query_one("#form-low", Input).value = "12.345"
        await wait_for(pilot, lambda: _error(app, "low"), what="a live error")
        app.screen.query_one("#form-low", Input).value = "900"
        await wait_for(pilot, lambda: not _error(app, "low"), what="the error cleared")
        await pilot.click("#form-submit")
        await wait_for(pilot, lambda: _error(app, "high"), what="required")
        assert _error(app, "high") == "max ¥: required", _error(app, "high")
        app.screen.query_one("#form-high", Input).value = "500"
        app.screen.query_one("#form-high", Input).focus()
        await pilot.press("enter")  # Enter in a field submits too
        await wait_for(pilot, lambda: "above the maximum" in _error(app, "low"))
        app.screen.query_one("#form-high", Input).value = "1000"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.answers)
    assert app.answers == [{"low": 90_000, "high": 100_000, "kind": "design"}]


async def test_escape_answers_nothing() -> None:
    app = FormApp()
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.answers)
    assert app.answers == [None]
