"""News notices: after a background sync pulls changes, tell the user what happened to them
since the dashboard last looked (store/news.py decides what counts; this keeps the last
snapshot between syncs and words the notices)."""

from __future__ import annotations

import sqlite3
import threading
from typing import TYPE_CHECKING, Any

from jiedan_cli.store.news import NewsItem, Snapshot, news, snapshot
from jiedan_cli.tui.formatting import yuan

if TYPE_CHECKING:
    from textual.app import App

    from jiedan_cli.tui.messages import SyncStateRead

SHOWN = 3  # notices one sync may raise; the rest are counted in one more
TIMEOUT = 10.0


class NewsWatch:
    """The snapshot of the last look. Workers compare against it under a lock, so two syncs'
    workers never announce the same news twice; the first look only takes the snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: Snapshot | None = None
        self._owed = False  # a sync pulled part of its changes: look once it has them all

    def due(self, message: SyncStateRead) -> bool:
        """Whether to look after this sync (called on the UI thread): a sync that pulled
        only part of its changes (it stops at a deadline) is looked at once it is done, so a
        replica half way through a large pull raises nothing it has not seen whole."""
        if message.outcome != "synced":
            return False
        if not message.complete:
            self._owed = self._owed or message.changed
            return False
        due, self._owed = message.changed or self._owed, False
        return due

    def look(self, conn: sqlite3.Connection) -> list[NewsItem]:
        """What is new since the last look (none at the first), and remember this one."""
        with self._lock:
            if self._last is None:
                self._last = snapshot(conn)
                return []
            self._last, items = news(conn, self._last, money=yuan)
            return items


def announce(app: App[Any], items: list[NewsItem]) -> None:
    """One notice per item, at most SHOWN, then one counting the rest."""
    for item in items[:SHOWN]:
        app.notify(item.text, title="News", timeout=TIMEOUT, markup=False)  # others' words
    if len(items) > SHOWN:
        more = len(items) - SHOWN
        app.notify(f"and {more} more", title="News", timeout=TIMEOUT)
