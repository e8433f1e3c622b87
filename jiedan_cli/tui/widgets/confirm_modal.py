"""A yes/no question in a dialog, for a step that cannot be taken back (cancelling an order,
moving money). It answers True (y, or Enter on the yes button) or False (n, Esc, or the no
button); the screen that opened it runs the store.actions call on True. "No" has the focus,
so a stray Enter keeps things as they are. The question may be several lines (each shown as
text: titles and names in it are other people's words).

    self.app.push_screen(ConfirmModal("Cancel order", "Cancel 品牌 LOGO 设计?"), self._cancel)
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from jiedan_cli.tui.formatting import shown


class ConfirmModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(
        self,
        title: str,
        question: str | Sequence[str],
        *,
        yes_label: str = "Yes",
        no_label: str = "No",
    ) -> None:
        super().__init__()
        self.form_title = title
        self.question = [question] if isinstance(question, str) else list(question)
        self.yes_label = yes_label
        self.no_label = no_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box confirm-box"):
            yield Static(shown(self.form_title), classes="form-title", markup=False)
            lines = "\n".join(shown(line) for line in self.question)
            yield Static(lines, classes="confirm-question", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button(self.yes_label, id="confirm-yes", variant="error", compact=True)
                yield Button(self.no_label, id="confirm-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-no").focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")
