"""Profiles over the network: other users' public ones (GET /v1/profiles/{id}) into the
replica's cache (store/profile_cache.py) — for `jiedan profile show USER_ID` and the
dashboard (a client's rating on an order, the names of bidders) — and changes to one's own."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from jiedan_cli.domain.errors import NotFound
from jiedan_cli.store import profile_cache


def fetch_profile(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    """One profile from the server (with the stored token when there is one: its owner sees
    more), kept in the cache when it is someone else's. Offline or NotFound raise."""
    from jiedan_cli.store.state import current_user_id
    from jiedan_cli.sync.credentials import load_token
    from jiedan_cli.sync.http import api_call

    token = load_token()
    path = f"/v1/profiles/{quote(user_id, safe='')}"
    profile = dict(api_call("GET", path, authenticated=token is not None, token=token))
    if user_id != current_user_id(conn):  # one's own comes with the pull, private parts too
        profile_cache.remember(conn, profile, now=datetime.now(UTC))
    return profile


def fetch_missing(conn: sqlite3.Connection, user_ids: Iterable[str | None]) -> int:
    """Fetch the profiles among `user_ids` the replica lacks (or has only an old copy of);
    returns how many arrived. Stops at the first failure to reach the server (Offline)."""
    fetched = 0
    for user_id in profile_cache.wanted(conn, user_ids, now=datetime.now(UTC)):
        try:
            fetch_profile(conn, user_id)
        except NotFound:
            continue  # a closed account: nothing to show
        fetched += 1
    return fetched


def update_my_profile(conn: sqlite3.Connection, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the signed-in user's profile (online only: PATCH /v1/me/profile), then a short
    sync so the replica holds the new one. `jiedan profile set` and the dashboard call this."""
    from jiedan_cli.sync.engine import quick_sync
    from jiedan_cli.sync.http import api_call

    profile = dict(api_call("PATCH", "/v1/me/profile", json=changes))
    quick_sync(conn)
    return profile


def add_portfolio_item(
    conn: sqlite3.Connection,
    *,
    title: str,
    url: str | None = None,
    description: str = "",
    public: bool = True,
) -> dict[str, Any]:
    """One piece of work to show (online only: POST /v1/me/portfolio), then a short sync so
    the replica's profile lists it. The id is chosen here: a retried request adds it once."""
    from jiedan_cli.domain.ids import new_id
    from jiedan_cli.sync.engine import quick_sync
    from jiedan_cli.sync.http import api_call

    body = {"id": new_id(), "title": title, "description": description, "public": public}
    if url:
        body["url"] = url
    item = dict(api_call("POST", "/v1/me/portfolio", json=body))
    quick_sync(conn)
    return item


def remove_portfolio_item(conn: sqlite3.Connection, item_id: str) -> None:
    """Online only (DELETE /v1/me/portfolio/{id}), then a short sync; NotFound when it is not
    one of mine."""
    from jiedan_cli.sync.engine import quick_sync
    from jiedan_cli.sync.http import api_call

    api_call("DELETE", f"/v1/me/portfolio/{quote(item_id, safe='')}")
    quick_sync(conn)
