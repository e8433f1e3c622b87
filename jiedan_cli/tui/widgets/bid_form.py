"""The bid form: amount in yuan, days, a note. Each field says what is wrong with it as you
type, by the domain's own rules (money.parse_yuan, order_rules.check_bid_terms); a valid
form posts `BidForm.Submitted`, and the screen runs store.actions.place_bid/update_bid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label

from jiedan_cli.domain.bidding import budget_note
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.money import format_yuan, parse_whole, parse_yuan
from jiedan_cli.domain.order_rules import BID_DAYS_MAX, check_bid_terms
from jiedan_cli.tui.formatting import shown
from jiedan_cli.tui.widgets.field_error import FieldError

FIELDS = ("amount", "days", "message")
# the domain's field names (errors raised by store.actions) → this form's fields
DOMAIN_FIELDS = {"amount_fen": "amount", "amount": "amount", "days": "days", "message": "message"}


class BidForm(Vertical):
    """A new bid, or — given `bid` — a change to that bid. Given the order's `budget`
    (fen, low and high), an amount far below or above it gets a word under the field."""

    @dataclass
    class Submitted(Message):
        amount_fen: int
        days: int
        message: str
        bid_id: str | None  # None: a new bid

    def __init__(
        self,
        bid: dict[str, Any] | None = None,
        budget: tuple[int, int] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.bid = bid
        self.budget = budget

    def compose(self) -> ComposeResult:
        bid = self.bid or {}
        amount = format_yuan(bid["amount_fen"]) if bid.get("amount_fen") else ""
        with Horizontal(classes="form-row"):
            yield Label("Amount ¥", classes="form-label")
            yield Input(amount, placeholder="e.g. 800 or 800.50", id="bid-amount", compact=True)
            yield Label("Days", classes="form-label form-label-short")
            yield Input(
                shown(bid.get("days") or ""),
                placeholder="1–365",
                id="bid-days",
                type="integer",
                compact=True,
            )
        yield FieldError(id="bid-amount-error")
        yield FieldError(id="bid-amount-note", classes="note")
        yield FieldError(id="bid-days-error")
        with Horizontal(classes="form-row"):
            yield Label("Note", classes="form-label")
            yield Input(
                shown(bid.get("message")),  # as the server holds it: shown, never obeyed
                placeholder="Why you (optional)",
                id="bid-message",
                compact=True,
            )
        yield FieldError(id="bid-message-error")
        label = "Update bid" if self.bid else "Place bid"
        yield Button(label, id="bid-submit", variant="primary", compact=True)

    # ---- validation ----------------------------------------------------------------------------

    def show_error(self, field: str | None, message: str) -> None:
        """Show `message` under the field the domain named (the note field when unknown)."""
        target = DOMAIN_FIELDS.get(field or "", "message")
        self.query_one(f"#bid-{target}-error", FieldError).show(message)

    def clear_errors(self) -> None:
        for name in FIELDS:
            self.query_one(f"#bid-{name}-error", FieldError).show("")

    def _value(self, name: str) -> str:
        return self.query_one(f"#bid-{name}", Input).value

    def _check(self, name: str) -> Any:
        """The field's value as the domain takes it; InvalidInput when it is not valid."""
        if name == "amount":
            return parse_yuan(self._value("amount"), field="amount")
        if name == "days":
            return parse_whole(self._value("days"), field="days", low=1, high=BID_DAYS_MAX)
        return check_bid_terms(1, 1, self._value("message"))[2]

    @on(Input.Changed)
    def recheck(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("bid-")
        if name not in FIELDS:
            return
        error = self.query_one(f"#bid-{name}-error", FieldError)
        if name != "message" and not event.value.strip():
            error.show("")  # nothing typed yet is not an error
            return
        try:
            value = self._check(name)
        except InvalidInput as exc:
            error.show(exc.message)
            value = None
        else:
            error.show("")
        if name == "amount":
            note = budget_note(value, *self.budget) if value and self.budget else None
            self.query_one("#bid-amount-note", FieldError).show(note or "")

    @on(Button.Pressed, "#bid-submit")
    @on(Input.Submitted)
    def submit(self, event: Message) -> None:
        event.stop()
        values: dict[str, Any] = {}
        for name in FIELDS:
            try:
                values[name] = self._check(name)
            except InvalidInput as exc:
                self.show_error(name, exc.message)
        if len(values) == len(FIELDS):
            self.clear_errors()
            bid_id = self.bid["id"] if self.bid else None
            self.post_message(
                self.Submitted(values["amount"], values["days"], values["message"], bid_id)
            )
