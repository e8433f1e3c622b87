"""Signing in, for `jiedan auth login|register` and the dashboard's sign-in dialog: ask the
server for a session, then bind the local replica to the user and keep the token.

Binding comes first (store.state.set_user): a replica holding another user's unsynced work
refuses (Conflict), and then no token of the new user is stored."""

from __future__ import annotations

import sqlite3
from typing import Any

from jiedan_cli.sync.http import api_call


def this_device(face: str = "cli") -> str:
    """The name a session is listed under (`jiedan auth sessions`): this computer and face."""
    import socket

    host = "".join(c for c in socket.gethostname() if c.isprintable())[:60]
    return f"{host} · jiedan {face}"


def log_in(
    server: str, email: str, password: str, otp: str | None = None, *, face: str = "cli"
) -> dict[str, Any]:
    """A session {user, token} for the account; Unauthenticated with code "otp_required"
    when 2FA is on and no one-time code was given."""
    body = {"email": email, "password": password, "device": this_device(face)}
    if otp:
        body["otp"] = otp
    return dict(api_call("POST", "/v1/auth/login", json=body, authenticated=False, server=server))


def register(
    server: str,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    face: str = "cli",
    referral: str | None = None,
) -> dict[str, Any]:
    """A new account, signed in; `referral`: the inviter's code (refused when unknown)."""
    body = {"email": email, "name": name, "password": password, "role": role}
    body["device"] = this_device(face)
    if referral is not None:
        body["referral"] = referral
    return dict(
        api_call("POST", "/v1/auth/register", json=body, authenticated=False, server=server)
    )


def begin(conn: sqlite3.Connection, server: str, session: dict[str, Any]) -> dict[str, Any]:
    """Make the session's user the replica's, keep the token and remember the server (a new
    shell without JIEDAN_SERVER finds it; JIEDAN_SERVER still wins); returns the user."""
    from jiedan_cli.store.state import set_user
    from jiedan_cli.sync.config import load, normalise_server, set_server
    from jiedan_cli.sync.credentials import store_token

    user = dict(session["user"])
    set_user(conn, user["id"])  # Conflict if another user's work is unsynced
    store_token(server, user["email"], session["token"])
    if load().get("server") != normalise_server(server):
        set_server(server)
    return user
