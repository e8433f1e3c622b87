"""A form in a dialog: labelled fields, each checked as you type by the domain's own rule,
and a whole-form check on submit. It answers the checked values (dismiss) or None (Esc);
the screen that opened it runs the store.actions call with them.

    fields = [Field("note", "Note", check=lambda text: check_text(text, field="note"))]
    self.app.push_screen(FormModal("Ask for a revision", fields), self._revise)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import RenderableType
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.tui.formatting import shown
from jiedan_cli.tui.widgets.field_error import FieldError

Values = dict[str, Any]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    placeholder: str = ""
    value: str = ""
    # the text as the domain takes it; raises InvalidInput (None: taken as typed)
    check: Callable[[str], Any] | None = None
    choices: Sequence[tuple[str, str]] = ()  # (label, value): a drop-down instead of a text box
    password: bool = False
    required: bool = False  # an empty required field is an error on submit, not while typing


class FormModal(ModalScreen[Values | None]):
    """`check_all(values)`, when given, sees every field's checked value and may raise
    InvalidInput naming a field (e.g. a budget's minimum above its maximum)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        *,
        submit_label: str = "Save",
        hint: str = "",
        check_all: Callable[[Values], Values] | None = None,
        errors: dict[str, str] | None = None,
        preface: RenderableType | None = None,
    ) -> None:
        """`errors`: field → what was wrong last time (a form opened again after a refusal);
        `preface`: shown above the fields (a QR code to scan, a secret to type)."""
        super().__init__()
        self.form_title = title
        self.fields = {field.name: field for field in fields}
        self.submit_label = submit_label
        self.hint = hint
        self.check_all = check_all
        self.errors = errors or {}
        self.preface = preface

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            # titles and hints quote orders ("Ask for a revision: <title>"): text, not markup
            yield Static(shown(self.form_title), classes="form-title", markup=False)
            if self.preface is not None:
                yield Static(self.preface, classes="form-preface")
            for field in self.fields.values():
                with Horizontal(classes="form-row"):
                    yield Label(shown(field.label), classes="form-label", markup=False)
                    if field.choices:
                        yield Select(
                            field.choices,
                            value=field.value or field.choices[0][1],
                            allow_blank=False,
                            id=f"form-{field.name}",
                            compact=True,
                        )
                    else:
                        yield Input(
                            shown(field.value),  # a profile's words as the server sent them
                            placeholder=field.placeholder,
                            password=field.password,
                            id=f"form-{field.name}",
                            compact=True,
                        )
                yield FieldError(id=f"form-{field.name}-error")
            if self.hint:
                yield Static(shown(self.hint), classes="hint", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button(self.submit_label, id="form-submit", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        for name, message in self.errors.items():
            self.show_error(name, message)

    def _raw(self, name: str) -> str:
        widget = self.query_one(f"#form-{name}")
        value = widget.value if isinstance(widget, Input | Select) else ""
        return "" if value is Select.BLANK else str(value)

    def _checked(self, field: Field) -> Any:
        text = self._raw(field.name)
        if field.required and not text.strip():
            raise InvalidInput(f"{field.label.lower()}: required", field=field.name)
        return field.check(text) if field.check is not None else text

    def show_error(self, field: str | None, message: str) -> None:
        """`message` under `field` (under the first field when the domain named none here)."""
        name = field if field in self.fields else next(iter(self.fields))
        self.query_one(f"#form-{name}-error", FieldError).show(message)

    @on(Input.Changed)
    def recheck(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("form-")
        field = self.fields.get(name)
        if field is None:
            return
        if name in self.errors and event.value == field.value:
            return  # shown again after a refusal: the reason stays until the field is edited
        error = self.query_one(f"#form-{name}-error", FieldError)
        if not event.value.strip() or field.check is None:
            error.show("")  # nothing typed yet is not an error
            return
        try:
            field.check(event.value)
        except InvalidInput as exc:
            error.show(exc.message)
        else:
            error.show("")

    @on(Button.Pressed, "#form-submit")
    @on(Input.Submitted)
    def submit(self, event: Any) -> None:
        event.stop()
        values: Values = {}
        for field in self.fields.values():
            try:
                values[field.name] = self._checked(field)
            except InvalidInput as exc:
                self.show_error(field.name, exc.message)
        if len(values) < len(self.fields):
            return
        if self.check_all is not None:
            try:
                values = self.check_all(values)
            except InvalidInput as exc:
                self.show_error(exc.field, exc.message)
                return
        self.dismiss(values)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
