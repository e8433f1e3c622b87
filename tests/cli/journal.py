"""A small reader of the plain-text-accounting journal `jiedan earnings export --format
ledger` writes (hledger's syntax, as far as we use it), for checking it balances."""

from __future__ import annotations

import re

HEADER = re.compile(r"^\d{4}-\d{2}-\d{2}[ *!]")
POSTING = re.compile(r"^\s+(?P<account>[^\s;][^ ]*(?: [^ ]+)*?)\s{2,}CNY (?P<amount>-?\d+\.\d{2})$")


def parse_journal(text: str) -> list[dict[str, int]]:
    """Each transaction's postings as account → fen; every line must be understood."""
    transactions: list[dict[str, int]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        if HEADER.match(line):
            transactions.append({})
            continue
        posting = POSTING.match(line)
        assert posting is not None and transactions, f"not a posting: {line!r}"
        whole, cents = posting["amount"].lstrip("-").split(".")
        fen = int(whole) * 100 + int(cents)
        account = posting["account"]
        postings = transactions[-1]
        postings[account] = postings.get(account, 0) + (
            -fen if posting["amount"].startswith("-") else fen
        )
    return transactions
