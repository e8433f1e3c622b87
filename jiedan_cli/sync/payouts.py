"""Withdrawals (提现): the one online-only money move. The server pays out of the available
balance and answers with what is left; a short sync then brings the withdrawal's ledger line
into the replica, so every screen shows it at once.

`jiedan earnings withdraw` and the dashboard's Withdraw dialog both call `withdraw`."""

from __future__ import annotations

import sqlite3
from typing import Any

from jiedan_cli.domain.ids import new_id
from jiedan_cli.sync.engine import quick_sync
from jiedan_cli.sync.http import connect_signed_in, request

PATH = "/v1/earnings/withdraw"
# what the server answers when the account has 2FA on and the code is missing or wrong
STEP_UP_CODES = ("otp_required", "bad_otp")


def withdraw(
    conn: sqlite3.Connection, amount_fen: int, otp: str | None = None, *, server: str | None = None
) -> dict[str, Any]:
    """Pay `amount_fen` out through the server (the configured one unless `server`), then sync
    `conn`. The answer is the payout with `available_fen`, what is left to withdraw.

    A fresh UUIDv7 names the payout, so a retried request never pays twice. Raises Offline
    when the server cannot be reached, Unauthenticated when signed out or when 2FA wants a
    code (`code` in STEP_UP_CODES), Conflict "insufficient_funds" above the balance."""
    body: dict[str, Any] = {"id": new_id(), "amount_fen": amount_fen}
    if otp:
        body["otp"] = otp
    with connect_signed_in(server) as client:
        payout: dict[str, Any] = request(client, "POST", PATH, json_body=body)
        quick_sync(conn, client)  # the withdrawal's ledger line, into the replica
    return payout
