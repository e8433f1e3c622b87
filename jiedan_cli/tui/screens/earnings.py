"""Earnings: available / in escrow / earned / fees (store.earnings.earnings_summary), a
chart of earnings by month, and the ledger — all from the replica, so offline too.

Two actions: Withdraw (w), online only, through sync.payouts.withdraw as the CLI does it;
Export (e), the ledger to a CSV or journal file through store.ledger_export, offline too."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Static

from jiedan_cli.domain.errors import JiedanError, Offline
from jiedan_cli.tui import formatting
from jiedan_cli.tui.messages import (
    EarningsLoaded,
    LedgerExported,
    LedgerExportFailed,
    WithdrawalDone,
    WithdrawalFailed,
)
from jiedan_cli.tui.screens.base import DashboardScreen
from jiedan_cli.tui.widgets.earnings_chart import EarningsChart
from jiedan_cli.tui.widgets.earnings_forms import ExportForm, withdraw_form
from jiedan_cli.tui.widgets.form_modal import Values

FIGURES = (
    ("available_fen", "Available"),
    ("pending_fen", "In escrow"),
    ("lifetime_fen", "Earned"),
    ("fees_fen", "Fees paid"),
)


class Earnings(DashboardScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "withdraw", "Withdraw"),
        Binding("e", "export", "Export"),
    ]

    available_fen: int | None = None  # as last read from the replica (None: not known)

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="earnings-figures"):
            for key, label in FIGURES:
                yield Static(label, id=f"figure-{key}", classes="figure")
        yield Static("Earnings by month", classes="section-title")
        yield EarningsChart(id="earnings-chart")
        yield Static("Ledger", classes="section-title")
        ledger: DataTable[Any] = DataTable(id="ledger-table", cursor_type="row", zebra_stripes=True)
        ledger.add_columns("When", "Kind", "Amount", "Fee")
        ledger.add_column("Order", width=formatting.ORDER_WIDTH)
        yield ledger

    def reload(self) -> None:
        self.read_earnings()

    @work(thread=True, exclusive=True, group="earnings")
    def read_earnings(self) -> None:
        from jiedan_cli.store.earnings import earnings_by_month, earnings_summary, ledger_entries
        from jiedan_cli.store.queries import with_order_titles

        with self.dashboard.replica() as conn:
            try:
                summary = earnings_summary(conn)
                ledger = with_order_titles(conn, ledger_entries(conn))
                by_month = earnings_by_month(conn)
            except JiedanError as exc:
                self.post_message(EarningsLoaded(None, [], exc.message))
                return
        self.post_message(EarningsLoaded(summary, ledger, None, by_month))

    def on_earnings_loaded(self, message: EarningsLoaded) -> None:
        summary = message.summary or {}
        available = summary.get("available_fen")
        self.available_fen = available if isinstance(available, int) else None
        for key, label in FIGURES:
            figure = Text(f"{label}\n", style="dim")
            figure.append(formatting.yuan(summary.get(key, 0)) if summary else "—", style="bold")
            self.query_one(f"#figure-{key}", Static).update(figure)
        self.query_one(EarningsChart).show(message.by_month)
        table: DataTable[Any] = self.query_one("#ledger-table", DataTable)
        table.clear()
        for entry in reversed(message.ledger):  # newest first
            table.add_row(
                # Text cells: a str cell of a DataTable is read as markup
                Text(formatting.when(entry.get("created_at"), self.dashboard.tz, with_year=True)),
                formatting.plain(entry.get("kind")),
                Text(formatting.yuan(entry.get("amount_fen")), justify="right"),
                Text(
                    formatting.yuan(entry.get("fee_fen")) if entry.get("fee_fen") else "",
                    justify="right",
                ),
                formatting.order_name(entry),
                key=entry["id"],
            )
        if message.error:
            self.query_one(EarningsChart).show([])
            self.notify(message.error, title="Earnings", severity="warning", markup=False)

    # ---- withdraw (online only) ----------------------------------------------------------------

    def action_withdraw(self, amount_fen: int | None = None, reason: str = "") -> None:
        form = withdraw_form(self.available_fen, amount_fen=amount_fen, reason=reason)
        self.app.push_screen(form, self._withdraw_answered)

    def _withdraw_answered(self, values: Values | None) -> None:
        if values is not None:
            self.notify("Withdrawing…", title="Withdraw", timeout=2)
            self.pay_out(values["amount"], values["otp"])

    @work(thread=True, group="withdraw")
    def pay_out(self, amount_fen: int, otp: str | None) -> None:
        from jiedan_cli.sync.payouts import withdraw

        try:
            with self.dashboard.replica() as conn:
                payout = withdraw(conn, amount_fen, otp, server=self.dashboard.server)
        except JiedanError as exc:
            offline = isinstance(exc, Offline)
            self.post_message(WithdrawalFailed(amount_fen, exc.message, exc.code, offline))
        else:
            self.post_message(WithdrawalDone(payout))

    def on_withdrawal_done(self, message: WithdrawalDone) -> None:
        payout = message.payout
        left = formatting.yuan(payout.get("available_fen"))
        self.notify(
            f"Withdrew {formatting.yuan(payout.get('amount_fen'))}; {left} left to withdraw.",
            title="Withdrawal paid",
            markup=False,
        )
        self.dashboard.saved_locally()  # reread: the withdrawal is in the replica now
        if self.dashboard.background_sync:
            self.dashboard.start_sync()  # in case the short sync gave way to a running one

    def on_withdrawal_failed(self, message: WithdrawalFailed) -> None:
        from jiedan_cli.sync.payouts import STEP_UP_CODES

        if message.code in STEP_UP_CODES:  # 2FA is on: ask for the code, keep the amount
            self.notify(
                message.message, title="Withdraw: one-time code", severity="warning", markup=False
            )
            self.action_withdraw(message.amount_fen, reason=message.message)
            return
        text = f"Withdrawals need the network: {message.message}" if message.offline else ""
        self.notify(
            text or message.message, title="Withdraw: refused", severity="error", markup=False
        )

    # ---- export (offline too) ------------------------------------------------------------------

    def action_export(self) -> None:
        self.app.push_screen(ExportForm(self._today()), self._export_answered)

    def _today(self) -> date:
        return self.dashboard.now().astimezone(self.dashboard.tz).date()

    def _export_answered(self, values: Values | None) -> None:
        if values is not None:
            self.write_ledger(values["format"], values["path"], values["since"])

    @work(thread=True, group="export")
    def write_ledger(self, format_: str, path: Path, since: date | None) -> None:
        from jiedan_cli.store.earnings import ledger_entries
        from jiedan_cli.store.ledger_export import export_text, write_export

        try:
            with self.dashboard.replica() as conn:
                entries = ledger_entries(conn, since=since)
            write_export(export_text(entries, format_), path)
        except JiedanError as exc:
            self.post_message(LedgerExportFailed(exc.message))
        else:
            self.post_message(LedgerExported(str(path), len(entries)))

    def on_ledger_exported(self, message: LedgerExported) -> None:
        self.notify(
            f"wrote {message.lines} ledger lines to {message.path}", title="Export", markup=False
        )

    def on_ledger_export_failed(self, message: LedgerExportFailed) -> None:
        self.notify(message.message, title="Export: failed", severity="error", markup=False)
