"""An order's messages, oldest first, and the box to write the next one. A sent message
shows at once, marked ⇡ until the server has it (store.queries.list_messages overlays the
outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static

from jiedan_cli.tui.formatting import (
    ACCENT,
    HELD,
    PENDING,
    REJECTED,
    Wrapped,
    shown,
    sync_mark,
    when,
)
from jiedan_cli.tui.widgets.field_error import FieldError


class MessageThread(Vertical):
    @dataclass
    class Send(Message):
        text: str

    def compose(self) -> ComposeResult:
        yield Static("No messages yet.", id="thread-lines")
        with Horizontal(classes="form-row"):
            yield Input(placeholder="Write a message… (Enter sends)", id="compose", compact=True)
            yield Button("Send", id="compose-send", compact=True)
        yield FieldError(id="compose-error")

    def show(self, messages: list[dict[str, Any]], me: str | None, order: dict[str, Any]) -> None:
        lines = self.query_one("#thread-lines", Static)
        tz = getattr(self.app, "tz", None)
        if not messages:
            lines.update(Text("No messages yet.", style="dim"))
            return
        text = Text()
        for n, message in enumerate(messages):
            if n:
                text.append("\n")
            text.append_text(_line(message, me, order, tz))
        lines.update(Wrapped(text))  # Chinese wrapped by the line-breaking rule

    def show_error(self, message: str) -> None:
        self.query_one("#compose-error", FieldError).show(message)

    def sent(self) -> None:
        self.query_one("#compose", Input).value = ""
        self.show_error("")

    @on(Input.Submitted, "#compose")
    @on(Button.Pressed, "#compose-send")
    def send(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Send(self.query_one("#compose", Input).value))


def _who(user_id: Any, me: str | None, order: dict[str, Any]) -> str:
    if user_id is not None and user_id == me:
        return "me"
    if user_id == order.get("client_id"):
        return "client"
    if user_id == order.get("freelancer_id"):
        return "freelancer"
    return "freelancer" if me == order.get("client_id") else "other"


def _line(
    message: dict[str, Any], me: str | None, order: dict[str, Any], tz: tzinfo | None
) -> Text:
    line = Text(when(message.get("created_at"), tz), style="dim")
    sender = _who(message.get("sender_id"), me, order)
    line.append(f"  {sender:<10} ", style="bold" if sender == "me" else ACCENT)
    line.append(shown(message.get("text"), multiline=True))
    state = message.get("sync_state")
    if state == "pending":
        line.append("  ⇡ pending", style=PENDING)
    elif state == "rejected":
        line.append(f"  ✗ {shown(message.get('reject_reason')) or 'refused'}", style=REJECTED)
    elif state == "held":
        line.append(f"  {sync_mark(message)}", style=HELD)
    if message.get("flagged"):
        line.append("  (contact details hidden)", style="dim italic")
    return line
