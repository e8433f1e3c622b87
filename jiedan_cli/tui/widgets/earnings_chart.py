"""Earnings by month: a bar per month (label, bar, amount). Months without earnings between
the first and the last show as empty bars."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.widgets import Static

from jiedan_cli.store.earnings import PAYOUT_KINDS
from jiedan_cli.tui.formatting import GOOD, yuan

BAR_WIDTH = 40
MONTHS_SHOWN = 12


def earnings_by_month(entries: Iterable[dict[str, Any]], me: str) -> list[tuple[str, int]]:
    """(YYYY-MM, fen earned) for the months from the first payout to the last: what
    store.earnings counts as earned (payouts to my available account), grouped by month."""
    from jiedan_cli.domain.ledger import freelancer_available

    account = freelancer_available(me)
    totals: dict[str, int] = {}
    for entry in entries:
        if entry.get("account") != account or entry.get("kind") not in PAYOUT_KINDS:
            continue
        if int(entry.get("amount_fen") or 0) <= 0:
            continue
        month = str(entry.get("created_at") or "")[:7]
        totals[month] = totals.get(month, 0) + int(entry["amount_fen"])
    if not totals:
        return []
    months = _months_between(min(totals), max(totals))[-MONTHS_SHOWN:]
    return [(month, totals.get(month, 0)) for month in months]


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    found = []
    while f"{year:04d}-{month:02d}" <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


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
