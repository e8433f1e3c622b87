"""A small background thread that runs the scheduled jobs every `job_interval_seconds`.
Each job is a plain function (db, settings, now) → count, also callable from tests."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from jiedan_cli.server.clock import Clock
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database

log = logging.getLogger("jiedan.jobs")

Job = Callable[[Database, Settings, datetime], int]


def registered_jobs() -> list[Job]:
    """Every scheduled job, each a module of this package with a `run(db, settings, now)`."""
    import importlib

    return [importlib.import_module(f"jiedan_cli.server.jobs.{name}").run for name in JOB_NAMES]


JOB_NAMES: tuple[str, ...] = ("reveal_reviews", "auto_release", "sandbox_payments", "purge")


class JobRunner:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, int]:
        done: dict[str, int] = {}
        for job in registered_jobs():
            try:
                done[job.__module__] = job(self.db, self.settings, self.clock())
            except Exception:  # a failing job must not kill the scheduler; it runs again later
                log.exception("job %s failed", job.__module__)
        return done

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="jiedan-jobs", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.job_interval_seconds):
            self.run_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
