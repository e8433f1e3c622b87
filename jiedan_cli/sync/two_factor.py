"""Two-factor sign-in (TOTP), online only: start it with the password (a new secret, pending),
confirm it with a first code from the authenticator app, turn it off with a current one.
`jiedan auth 2fa …` and the dashboard's Points screen call these; confirming or turning off
syncs `conn` after, so the replica's account (store.queries.my_account) says whether it is on."""

from __future__ import annotations

import sqlite3
from typing import Any

from jiedan_cli.sync.engine import quick_sync
from jiedan_cli.sync.http import connect_signed_in, request


def start(password: str, *, server: str | None = None) -> dict[str, str]:
    """{"secret", "otpauth_uri"}: for the authenticator app; 2FA is on once confirmed. Needs
    the account's password (a token alone must not turn 2FA on)."""
    with connect_signed_in(server) as client:
        body = {"password": password}
        return dict(request(client, "POST", "/v1/auth/2fa/enable", json_body=body))


def confirm(conn: sqlite3.Connection, otp: str, *, server: str | None = None) -> dict[str, Any]:
    """Turn 2FA on with a first code; the account as the server now has it."""
    return _then_sync(conn, "/v1/auth/2fa/confirm", otp, server)


def turn_off(conn: sqlite3.Connection, otp: str, *, server: str | None = None) -> dict[str, Any]:
    """Turn 2FA off with a current code; the account as the server now has it."""
    return _then_sync(conn, "/v1/auth/2fa/disable", otp, server)


def _then_sync(conn: sqlite3.Connection, path: str, otp: str, server: str | None) -> dict[str, Any]:
    with connect_signed_in(server) as client:
        account: dict[str, Any] = request(client, "POST", path, json_body={"otp": otp})
        quick_sync(conn, client)  # the account's change, into the replica
    return account
