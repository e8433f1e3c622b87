"""Earnings by month (store.earnings.earnings_by_month): a bar per month (label, bar,
amount). Months without earnings between the first and the last show as empty bars."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from jiedan_cli.tui.formatting import GOOD, yuan

BAR_WIDTH = 40


class EarningsChart(Static):
    def show(self, months: list[tuple[str, int]]) -> None:
        if not months:
            self.update(
                Text(
                    "No earnings yet: they appear here when a client accepts your work.",
                    style="dim",
                )
            )
            return
        top = max(fen for _month, fen in months) or 1
        text = Text()
        for n, (month, fen) in enumerate(months):
            if n:
                text.append("\n")
            width = round(BAR_WIDTH * fen / top)
            text.append(f"{month}  ", style="dim")
            text.append("█" * width, style=GOOD)
            text.append(" " * (BAR_WIDTH - width))
            text.append(f"  {yuan(fen):>12}")
        self.update(text)
