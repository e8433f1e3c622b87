"""`AtMostEvery`: whether this process should do a cheap-to-skip write again for a key — at
most once per period a key (sessions' last_seen_at, devices' links after a sync). A memo in
one process's memory, and only an optimisation: another process writes on its own memo, and
the write itself is conditional in the database."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from datetime import datetime, timedelta


class AtMostEvery:
    def __init__(self, every: timedelta, *, keys: int = 10_000) -> None:
        self.every = every
        self._keys = keys  # the memo is cleared when it holds this many
        self._last: dict[Hashable, datetime] = {}
        self._lock = threading.Lock()

    def due(self, key: Hashable, now: datetime) -> bool:
        """True at most once per `every` a key (and noted now); no I/O."""
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.every:
                return False
            if len(self._last) >= self._keys:
                self._last.clear()
            self._last[key] = now
            return True
