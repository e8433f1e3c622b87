"""A line under a form field saying what is wrong with it; takes no room when all is well."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from jiedan_cli.tui.formatting import shown


class FieldError(Static):
    def __init__(self, **options: Any) -> None:
        super().__init__("", classes="error", **options)
        self.display = False
        self.message = ""

    def show(self, message: str) -> None:
        self.message = message
        self.update(Text(shown(message, multiline=True)))  # may quote the server
        self.display = bool(message)
