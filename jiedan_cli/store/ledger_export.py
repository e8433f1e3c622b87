"""The user's ledger lines (store/earnings.ledger_entries) as files for their own books:
CSV for spreadsheets, and a plain-text-accounting journal that hledger and ledger read.

In the journal every line becomes one balanced transaction from the user's point of view:
a payout is the gross income, less the fee as an expense, into `assets:jiedan:available`;
a withdrawal moves money from there to `assets:bank`. Amounts are CNY with two decimals.

`jiedan earnings export` and the dashboard's Export dialog both go through `check_format`,
`export_text` and `write_export`, so a file from either is the same."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jiedan_cli import locations
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.ledger import PAYOUT_KINDS
from jiedan_cli.domain.money import CURRENCY, format_yuan

FORMATS = ("csv", "ledger")  # ledger: an hledger/ledger journal
SUFFIXES = {"csv": ".csv", "ledger": ".journal"}  # what a file of each format is called

CSV_FIELDS = (
    "id",
    "created_at",
    "order_id",
    "kind",
    "account",
    "amount_fen",
    "fee_fen",
    "amount_yuan",
    "currency",
    "transfer_id",
)

INCOME = "income:jiedan"
FEES = "expenses:jiedan:fees"
# the user's own ledger accounts (domain/ledger.py) by their last part
OWN_ACCOUNTS = {
    "available": "assets:jiedan:available",
    "held": "assets:jiedan:held",
    "wallet": "assets:jiedan:wallet",
}
# where the other side of a line goes, by transfer kind (payouts are handled on their own)
COUNTERPARTS = {
    "withdraw": "assets:bank",
    "fund": "expenses:jiedan:orders",
    "refund": "expenses:jiedan:orders",
    "promotion": "income:jiedan:promotions",
    "compensation": "income:jiedan:compensation",
}
DESCRIPTIONS = {
    "release": "payment released",
    "resolve": "dispute settled",
    "withdraw": "withdrawal",
    "promotion": "promotion",
    "compensation": "compensation from the protection fund (保险机制)",
}


def as_csv(entries: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for entry in entries:
        row = {**entry, "amount_yuan": format_yuan(int(entry["amount_fen"]))}
        row.setdefault("fee_fen", 0)
        row.setdefault("currency", CURRENCY)
        writer.writerow(["" if row.get(f) is None else row.get(f) for f in CSV_FIELDS])
    return out.getvalue()


def _amount(fen: int) -> str:
    return f"{CURRENCY} {format_yuan(fen)}"


def _own_account(account: str) -> str:
    return OWN_ACCOUNTS.get(account.rsplit(":", 1)[-1], "assets:jiedan")


def postings(entry: dict[str, Any]) -> list[tuple[str, int]]:
    """The (account, fen) postings of one line; they always sum to zero."""
    amount, kind = int(entry["amount_fen"]), str(entry.get("kind") or "other")
    own = (_own_account(str(entry.get("account") or "")), amount)
    fee = int(entry.get("fee_fen") or 0)
    if kind in PAYOUT_KINDS and amount > 0:
        withheld = [(FEES, fee)] if fee else []
        return [own, *withheld, (INCOME, -(amount + fee))]
    other = COUNTERPARTS.get(kind) or (
        f"income:jiedan:{kind}" if amount > 0 else f"expenses:jiedan:{kind}"
    )
    return [own, (other, -amount)]


def _transaction(entry: dict[str, Any]) -> str:
    day = str(entry["created_at"])[:10]
    kind = str(entry.get("kind") or "other")
    title = DESCRIPTIONS.get(kind, kind)
    if entry.get("order_id"):
        title += f" | order {entry['order_id']}"
    lines = [f"{day} * ({entry.get('transfer_id') or entry['id']}) {title}"]
    if entry.get("order_id"):
        lines.append(f"    ; order:{entry['order_id']}")
    moves = postings(entry)
    width = max(len(account) for account, _ in moves) + 4
    lines += [f"    {account.ljust(width)}{_amount(fen):>16}" for account, fen in moves]
    return "\n".join(lines)


def as_journal(entries: Iterable[dict[str, Any]]) -> str:
    """An hledger/ledger journal: one transaction per ledger line, oldest first."""
    header = f"; jiedan earnings ledger, amounts in {CURRENCY}"
    body = [_transaction(e) for e in sorted(entries, key=lambda e: (e["created_at"], e["id"]))]
    return "\n\n".join([header, *body]) + "\n"


def check_format(format_: str, *, field: str = "format") -> str:
    """`format_` when it is one we write; `field` names it as the user typed it (--format)."""
    if format_ not in FORMATS:
        raise InvalidInput(f"{field}: {format_!r} is not one of csv, ledger", field="format")
    return format_


def export_text(entries: Iterable[dict[str, Any]], format_: str) -> str:
    """The ledger lines in `format_` (csv or ledger), as the file holds them."""
    check_format(format_)
    return as_csv(entries) if format_ == "csv" else as_journal(entries)


def write_export(text: str, path: Path, *, field: str = "path") -> None:
    """Write an export to `path` as a new file readable by its owner only (an existing file
    is replaced, never written into: see locations.write_private). A symbolic link there is
    refused, not followed — it could point at a file of the user's they never meant to
    overwrite, or one others can read. A path that cannot be written is InvalidInput with the
    system's reason (no such directory, permission denied…), never a traceback.
    `jiedan account export` and the dashboard's Export dialog write through it too."""
    import stat

    try:
        found = path.lstat()
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise _cannot_write(path, field, exc) from None
    if found is not None and stat.S_ISLNK(found.st_mode):
        raise InvalidInput(
            f"{field}: {path} is a symbolic link: not written through; give the file itself",
            field="path",
        )
    if found is not None and not stat.S_ISREG(found.st_mode):
        raise InvalidInput(f"{field}: {path} is not a regular file", field="path")
    try:
        locations.write_private(path, text)
    except OSError as exc:
        raise _cannot_write(path, field, exc) from None


def _cannot_write(path: Path, field: str, exc: OSError) -> InvalidInput:
    reason = exc.strerror or type(exc).__name__
    return InvalidInput(f"{field}: cannot write {path}: {reason}", field="path")
