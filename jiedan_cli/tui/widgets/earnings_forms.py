"""The Earnings screen's two dialogs: Withdraw (an amount checked by the domain against the
balance on screen, and the one-time code 2FA asks for) and Export (a format, a file and a
start date, as `jiedan earnings export` takes them)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual import on
from textual.widgets import Input, Select

from jiedan_cli.domain.errors import InvalidInput, Refused
from jiedan_cli.domain.money import check_withdrawal, format_yuan, parse_yuan
from jiedan_cli.domain.timefmt import parse_date
from jiedan_cli.store.ledger_export import SUFFIXES
from jiedan_cli.tui.formatting import yuan
from jiedan_cli.tui.widgets.form_modal import Field, FormModal
from jiedan_cli.tui.widgets.two_factor_forms import otp_code

FORMAT_CHOICES = (("CSV (spreadsheets)", "csv"), ("Ledger journal (hledger, ledger)", "ledger"))


def _amount(text: str, available_fen: int | None) -> int:
    """Yuan as typed → fen, refused above the available balance shown (None: not known)."""
    fen = parse_yuan(text, field="amount")
    if available_fen is not None:
        try:
            check_withdrawal(fen, available_fen)
        except Refused as exc:
            raise InvalidInput(exc.message, field="amount") from None
    return fen


def withdraw_form(
    available_fen: int | None, *, amount_fen: int | None = None, reason: str = ""
) -> FormModal:
    """`reason`: why the form is shown again — the server asked for a (new) one-time code;
    the code is then required and the amount kept."""
    known = f"Available now {yuan(available_fen)}. " if available_fen is not None else ""
    hint = f"{reason}." if reason else f"{known}Online only: paid out at once."
    fields = [
        Field(
            "amount",
            "Amount ¥",
            placeholder="e.g. 500 or 499.50",
            value=format_yuan(amount_fen) if amount_fen else "",
            check=lambda text: _amount(text, available_fen),
            required=True,
        ),
        Field(
            "otp",
            "One-time code",
            placeholder="from your authenticator, when 2FA is on",
            check=otp_code,
            required=bool(reason),
        ),
    ]
    return FormModal("Withdraw", fields, submit_label="Withdraw", hint=hint)


def _path(text: str) -> Path:
    try:
        return Path(text.strip()).expanduser()
    except RuntimeError:  # no home directory to expand ~ to
        raise InvalidInput(f"path: cannot expand {text.strip()!r}", field="path") from None


def _since(text: str) -> date | None:
    return parse_date(text.strip(), field="since") if text.strip() else None


class ExportForm(FormModal):
    """The file name follows the format while it is still the suggested one."""

    def __init__(self, today: date) -> None:
        self.stem = f"~/jiedan-ledger-{today.isoformat()}"
        fields = [
            Field("format", "Format", choices=FORMAT_CHOICES),
            Field("path", "Save to", value=self.stem + SUFFIXES["csv"], check=_path, required=True),
            Field("since", "Since", placeholder="YYYY-MM-DD (optional: all lines)", check=_since),
        ]
        super().__init__(
            "Export the ledger",
            fields,
            submit_label="Export",
            hint="From the local replica: works offline. Amounts in CNY.",
        )

    @on(Select.Changed, "#form-format")
    def follow_format(self, event: Select.Changed) -> None:
        path = self.query_one("#form-path", Input)
        suggested = {self.stem + suffix for suffix in SUFFIXES.values()}
        if path.value in suggested and event.value in SUFFIXES:
            path.value = self.stem + SUFFIXES[str(event.value)]
