"""A line under a form field saying what is wrong with it (or, class "note", a word of
warning that does not stop the form); takes no room when all is well."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from jiedan_cli.tui.formatting import shown


class FieldError(Static):
    def __init__(self, *, classes: str = "error", **options: Any) -> None:
        super().__init__("", classes=classes, **options)
        self.display = False
        self.message = ""

    def show(self, message: str) -> None:
        self.message = message
        self.update(Text(shown(message, multiline=True)))  # may quote the server
        self.display = bool(message)
