"""What the PostgreSQL backends of one database do during a load: pg_stat_activity sampled
every few ms from a thread of its own, summed into how often a backend was running, idle in
a transaction (the app holding its locks while it computes), or waiting — and on what (an
advisory lock, a row lock, a transaction, WAL …), with the statements that waited most.

pg_stat_statements would say more, but it must be preloaded at server start; sampling
needs nothing but a connection."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

from benchmarks.postgres import libpq_url

INTERVAL = 0.02  # seconds between samples
_SAMPLE = """
SELECT a.state, a.wait_event_type, a.wait_event, left(a.query, 120),
       (SELECT l.locktype FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted LIMIT 1)
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
  AND a.backend_type = 'client backend'
"""


@dataclass
class Waits:
    samples: int = 0
    states: Counter[str] = field(default_factory=Counter)  # backend-samples by what it did
    waits: Counter[str] = field(default_factory=Counter)  # by wait event (and lock type)
    waiting_queries: Counter[str] = field(default_factory=Counter)

    def summary(self, top: int = 6) -> dict[str, Any]:
        """Average backends in each state per sample, and the commonest waits."""
        n = max(self.samples, 1)
        return {
            "samples": self.samples,
            "backends_by_state": {k: round(v / n, 2) for k, v in self.states.most_common()},
            "waiting_on": {k: round(v / n, 2) for k, v in self.waits.most_common(top)},
            "waiting_queries": {
                k: round(v / n, 2) for k, v in self.waiting_queries.most_common(top)
            },
        }


class WaitSampler:
    """`with WaitSampler(url) as sampler: …load…`, then `sampler.waits.summary()`."""

    def __init__(self, database_url: str, interval: float = INTERVAL) -> None:
        self.url, self.interval = libpq_url(database_url), interval
        self.waits = Waits()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-waits", daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(_SAMPLE).fetchall()
                self.waits.samples += 1
                for state, wait_type, wait, query, locktype in rows:
                    if state == "idle":
                        self.waits.states["idle (between transactions)"] += 1
                        continue
                    if wait_type in (None, "CPU"):
                        label = state if state != "active" else "active (running)"
                        self.waits.states[label] += 1
                        continue
                    if wait_type == "Client" and state == "idle in transaction":
                        self.waits.states["idle in transaction (the app computing)"] += 1
                        continue
                    kind = f"{wait_type}:{wait}" + (f" ({locktype})" if locktype else "")
                    self.waits.states[f"{state} waiting"] += 1
                    self.waits.waits[kind] += 1
                    if wait_type == "Lock":
                        self.waits.waiting_queries[" ".join(query.split())] += 1
                time.sleep(self.interval)
