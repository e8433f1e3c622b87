"""Hand in the work of an order in progress: a note and files (recorded by name, size and
SHA-256, as `jiedan deliver --file` does). The screen runs store.actions.deliver."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.tui.widgets.field_error import FieldError


class DeliverForm(Vertical):
    @dataclass
    class Submitted(Message):
        note: str
        files: list[Path]

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("Note", classes="form-label")
            yield Input(placeholder="What you deliver", id="deliver-note", compact=True)
        with Horizontal(classes="form-row"):
            yield Label("Files", classes="form-label")
            yield Input(
                placeholder="paths, space-separated (optional)", id="deliver-files", compact=True
            )
        yield FieldError(id="deliver-error")
        yield Button("Deliver", id="deliver-submit", variant="success", compact=True)

    def show_error(self, message: str) -> None:
        self.query_one("#deliver-error", FieldError).show(message)

    @on(Button.Pressed, "#deliver-submit")
    @on(Input.Submitted)
    def submit(self, event: Message) -> None:
        event.stop()
        from jiedan_cli.tui.widgets.work_dialogs import file_paths

        note = self.query_one("#deliver-note", Input).value  # store.actions.deliver checks it
        try:
            paths = file_paths(self.query_one("#deliver-files", Input).value)  # as the dialog
        except InvalidInput as exc:
            self.show_error(exc.message)
            return
        self.show_error("")
        self.post_message(self.Submitted(note, paths))
