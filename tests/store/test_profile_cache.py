"""Other users' public profiles, fetched on demand and kept (store/profile_cache.py): read
through get_profile like pulled ones, fetched again once older than a day."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from jiedan_cli.store import profile_cache
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.queries import get_profile
from tests.store.factories import page, put

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


def _profile(user_id: str, name: str) -> dict[str, object]:
    return {"user_id": user_id, "name": name, "rating": {"count": 3, "average": 4.7}}


def test_a_fetched_profile_reads_like_a_pulled_one(store: sqlite3.Connection) -> None:
    assert get_profile(store, "c-1") is None
    profile_cache.remember(store, _profile("c-1", "李老板"), now=NOW)
    assert get_profile(store, "c-1") == _profile("c-1", "李老板")
    profile_cache.remember(store, _profile("c-1", "李总"), now=NOW)  # fetched again: replaced
    assert (get_profile(store, "c-1") or {})["name"] == "李总"


def test_only_missing_or_old_profiles_are_wanted(store: sqlite3.Connection) -> None:
    apply_page(store, page(put("profile", {"id": "me", **_profile("me", "我")})))
    profile_cache.remember(store, _profile("fresh", "新"), now=NOW - timedelta(hours=23))
    profile_cache.remember(store, _profile("old", "旧"), now=NOW - timedelta(hours=25))
    wanted = profile_cache.wanted(store, ["me", "fresh", "old", "new", None, "new"], now=NOW)
    assert wanted == ["old", "new"]  # a pulled one is never fetched; each id once
