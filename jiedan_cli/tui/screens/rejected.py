"""What the server refused for good (store.verdicts.sync_status()["rejected"]), and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from jiedan_cli.tui.formatting import REJECTED, intent_label, short_id, shown, when

if TYPE_CHECKING:
    from jiedan_cli.tui.app import JiedanApp


class RejectedOperations(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,r,q", "dismiss", "Close"),
        Binding("d", "put_away", "Dismiss these"),
    ]

    def __init__(self, rejected: Sequence[dict[str, Any]]) -> None:
        super().__init__()
        self.rejected = list(rejected)

    def compose(self) -> ComposeResult:
        with Vertical(id="rejected-box"):
            count = len(self.rejected)
            yield Static(
                f"[b]Refused by the server[/b] — {count} operation{'s' * (count != 1)}",
                id="rejected-title",
            )
            with VerticalScroll(id="rejected-list"):
                yield Static(_listing(self.rejected, getattr(self.app, "tz", None)))
            yield Static(
                "Nothing was lost: the rest of your work synced. d puts these away; Esc closes.",
                classes="hint",
            )

    def action_put_away(self) -> None:
        """They leave the count and this list; their objects keep their verdict."""
        dashboard = cast("JiedanApp", self.app)
        dashboard.dismiss_rejected([str(op["op_id"]) for op in self.rejected])
        self.dismiss()


def _listing(rejected: Sequence[dict[str, Any]], tz: tzinfo | None) -> Text:
    """Each operation on a line, its reason wrapped below it."""
    text = Text()
    for n, op in enumerate(rejected):
        if n:
            text.append("\n\n")
        text.append(f"{when(op.get('created_at'), tz)}  ", style="dim")
        text.append(intent_label(str(op.get("kind") or "")), style="bold")
        text.append(f"  {short_id(op.get('object_id'))}\n", style="dim")
        reason = shown(op.get("reason") or op.get("code") or "refused", multiline=True)
        text.append(reason, style=REJECTED)  # the server's words
    return text
