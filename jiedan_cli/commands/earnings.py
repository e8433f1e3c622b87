"""`jiedan earnings summary|ledger|export|withdraw`: the signed-in user's money.

summary, ledger and export read the local replica (store/earnings.py) and never need the
network; withdraw is online-only (exit 6 when the server cannot be reached) and then syncs,
so the replica shows the withdrawal at once. A withdrawal the risk engine holds prints the
hold and exits 4 `error: held for review: <reason>`; one it blocks, `error: <reason>`, 4."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, replica, show, showing_hold, yuan
from jiedan_cli.render import Column, output, safe_text, say

app = typer.Typer(
    help="Your earnings: summary, ledger, export, withdraw.",
    no_args_is_help=True,
    add_completion=False,
)

SUMMARY_COLUMNS: list[Column] = [
    ("available", "Available ¥"),
    ("pending", "In escrow ¥"),
    ("lifetime", "Earned ¥"),
    ("fees", "Fees paid ¥"),
    ("currency", "Currency"),
]
LEDGER_COLUMNS: list[Column] = [
    ("created_at", "When"),
    ("kind", "Kind"),
    ("amount", "Amount ¥"),
    ("fee", "Fee ¥"),
    ("order_id", "Order"),
    ("id", "ID"),
]
PAYOUT_COLUMNS: list[Column] = [
    ("id", "Payout"),
    ("amount", "Amount ¥"),
    ("status", "Status"),
    ("provider_ref", "Reference"),
    ("available", "Left ¥"),
    ("created_at", "When"),
]


def _yuan(fen: Any) -> str:
    from jiedan_cli.domain.money import format_yuan

    return format_yuan(int(fen or 0))


@app.command()
def summary(as_json: JsonOption = False) -> None:
    """Available (withdrawable), in escrow, earned and fees — from the local replica."""
    from jiedan_cli.store.earnings import earnings_summary

    with replica() as conn:
        totals = earnings_summary(conn)
    if as_json:
        output(totals, as_json=True)
        return
    shown = {k.removesuffix("_fen"): _yuan(v) for k, v in totals.items() if k.endswith("_fen")}
    output({**shown, "currency": totals["currency"]}, as_json=False, columns=SUMMARY_COLUMNS)


@app.command()
def ledger(
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD (UTC).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every line on your accounts, oldest first — from the local replica."""
    entries = _entries(since)
    if as_json:
        output(entries, as_json=True)
        return
    rows = [{**e, "fee": _yuan(e.get("fee_fen")) if e.get("fee_fen") else ""} for e in entries]
    show(rows, as_json=False, columns=LEDGER_COLUMNS)


def _entries(since: str | None) -> list[dict[str, Any]]:
    from jiedan_cli.domain.timefmt import parse_date
    from jiedan_cli.store.earnings import ledger_entries

    day = parse_date(since, field="--since") if since is not None else None
    with replica() as conn:
        return ledger_entries(conn, since=day)


@app.command()
def export(
    format_: Annotated[
        str, typer.Option("--format", help="csv, or ledger (an hledger/ledger journal).")
    ] = "csv",
    output_file: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD (UTC).")] = None,
) -> None:
    """Your ledger lines as CSV or as a plain-text-accounting journal."""
    from jiedan_cli.store.ledger_export import check_format, export_text, write_export

    check_format(format_, field="--format")
    entries = _entries(since)
    text = export_text(entries, format_)
    if output_file is None:
        # to the terminal: a line the server sent (an id, a kind) is shown, never obeyed
        sys.stdout.write(safe_text(text, multiline=True))
        return
    write_export(text, output_file, field="-o")
    say(f"wrote {len(entries)} ledger lines to {output_file}")


@app.command()
def withdraw(
    amount: Annotated[str, typer.Option("--amount", help="Yuan, e.g. 500 or 499.50.")],
    otp: Annotated[
        str | None, typer.Option("--otp", help="Your one-time code, when 2FA is on.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw from your available balance (online only)."""
    from jiedan_cli.sync.payouts import withdraw as pay_out

    amount_fen = yuan(amount, field="--amount")
    with replica() as conn, showing_hold(as_json=as_json):
        payout = pay_out(conn, amount_fen, otp)
    if as_json:
        output(payout, as_json=True)
        return
    shown = {**payout, "amount": _yuan(payout["amount_fen"])}
    shown["available"] = _yuan(payout.get("available_fen"))
    output(shown, as_json=False, columns=PAYOUT_COLUMNS)
