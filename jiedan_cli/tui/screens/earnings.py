"""Earnings: available / in escrow / earned / fees (store.earnings.earnings_summary), a
chart of earnings by month, and the ledger — all from the replica, so offline too."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import work
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Static

from jiedan_cli.domain.errors import JiedanError
from jiedan_cli.tui import formatting
from jiedan_cli.tui.messages import EarningsLoaded
from jiedan_cli.tui.screens.base import DashboardScreen
from jiedan_cli.tui.widgets.earnings_chart import EarningsChart

FIGURES = (
    ("available_fen", "Available"),
    ("pending_fen", "In escrow"),
    ("lifetime_fen", "Earned"),
    ("fees_fen", "Fees paid"),
)


class Earnings(DashboardScreen):
    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="earnings-figures"):
            for key, label in FIGURES:
                yield Static(label, id=f"figure-{key}", classes="figure")
        yield Static("Earnings by month", classes="section-title")
        yield EarningsChart(id="earnings-chart")
        yield Static("Ledger", classes="section-title")
        ledger: DataTable[Any] = DataTable(id="ledger-table", cursor_type="row", zebra_stripes=True)
        ledger.add_columns("When", "Kind", "Amount", "Fee", "Order")
        yield ledger

    def reload(self) -> None:
        self.read_earnings()

    @work(thread=True, exclusive=True, group="earnings")
    def read_earnings(self) -> None:
        from jiedan_cli.store.earnings import earnings_by_month, earnings_summary, ledger_entries

        with self.dashboard.replica() as conn:
            try:
                summary, ledger = earnings_summary(conn), ledger_entries(conn)
                by_month = earnings_by_month(conn)
            except JiedanError as exc:
                self.post_message(EarningsLoaded(None, [], exc.message))
                return
        self.post_message(EarningsLoaded(summary, ledger, None, by_month))

    def on_earnings_loaded(self, message: EarningsLoaded) -> None:
        summary = message.summary or {}
        for key, label in FIGURES:
            figure = Text(f"{label}\n", style="dim")
            figure.append(formatting.yuan(summary.get(key, 0)) if summary else "—", style="bold")
            self.query_one(f"#figure-{key}", Static).update(figure)
        self.query_one(EarningsChart).show(message.by_month)
        table: DataTable[Any] = self.query_one("#ledger-table", DataTable)
        table.clear()
        for entry in reversed(message.ledger):  # newest first
            table.add_row(
                formatting.when(entry.get("created_at"), self.dashboard.tz, with_year=True),
                entry.get("kind") or "",
                Text(formatting.yuan(entry.get("amount_fen")), justify="right"),
                Text(
                    formatting.yuan(entry.get("fee_fen")) if entry.get("fee_fen") else "",
                    justify="right",
                ),
                formatting.short_id(entry.get("order_id")),
                key=entry["id"],
            )
        if message.error:
            self.query_one(EarningsChart).show([])
            self.notify(message.error, title="Earnings", severity="warning", markup=False)
