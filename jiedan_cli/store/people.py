"""People's names as the replica knows them: the user's own profile as pulled, others'
public profiles as last fetched (store/profile_cache.py; sync/profiles.fetch_missing fetches
what is missing). The dashboard and the command line show names through this, ids in JSON.
Cold read path: the standard library only."""

from __future__ import annotations

import sqlite3

from jiedan_cli.store.queries import get_profile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


def names_of(conn: sqlite3.Connection, user_ids: Iterable[str | None]) -> dict[str, str]:
    """{user id: name} for the ids whose profile the replica has (and that has a name)."""
    found: dict[str, str] = {}
    for user_id in dict.fromkeys(u for u in user_ids if u):
        profile = get_profile(conn, user_id)
        name = (profile or {}).get("name")
        if isinstance(name, str) and name:
            found[user_id] = name
    return found
