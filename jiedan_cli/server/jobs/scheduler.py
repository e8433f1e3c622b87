"""The scheduled jobs: every process may run the scheduler, and each job still runs once a
period across all of them.

Time is cut into periods of `job_interval_seconds` (wall-clock, so every host agrees). At each
tick a process claims each job for the current period with one conditional write to its
`job_runs` row (`UPDATE … WHERE period < :current`, or the row's first INSERT): exactly one
process's claim succeeds, and only it runs the job. A job that fails is not retried within its
period; the next period runs it again, and every job works in idempotent batches (row locks,
ledger transfer ids), so a period lost to a crash loses nothing but a little time.

Each job is a plain function (db, settings, now) → count, also callable from tests
(`run_once`, which claims nothing)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from jiedan_cli.server.clock import Clock
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import job_runs

log = logging.getLogger("jiedan.jobs")

Job = Callable[[Database, Settings, datetime], int]

JOB_NAMES: tuple[str, ...] = (
    "reveal_reviews",
    "auto_release",
    "sandbox_payments",
    "purge",
    "plan_fees",
    "points_expiry",
)


def registered_jobs() -> list[Job]:
    """Every scheduled job, each a module of this package with a `run(db, settings, now)`."""
    import importlib

    return [importlib.import_module(f"jiedan_cli.server.jobs.{name}").run for name in JOB_NAMES]


def current_period(interval: float, at: float | None = None) -> int:
    return int((time.time() if at is None else at) // max(interval, 0.001))


def claim(db: Database, job: str, period: int, now: datetime) -> bool:
    """True when this process is the one to run `job` for `period`."""
    try:
        with db.write() as conn:
            return _claim(conn, job, period, now)
    except IntegrityError:  # another process inserted the job's first row at the same time
        return False


def _claim(conn: Connection, job: str, period: int, now: datetime) -> bool:
    moved = conn.execute(
        update(job_runs)
        .where(job_runs.c.job == job, job_runs.c.period < period)
        .values(period=period, runs=job_runs.c.runs + 1, started_at=now)
    ).rowcount
    if moved:
        return True
    if conn.scalar(select(job_runs.c.job).where(job_runs.c.job == job)) is not None:
        return False  # the row exists: this period is someone's already
    conn.execute(insert(job_runs).values(job=job, period=period, runs=1, started_at=now))
    return True


class JobRunner:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, int]:
        """Run every job now, claiming nothing (tests, and a manual run)."""
        done: dict[str, int] = {}
        for job in registered_jobs():
            outcome = self._run(job)
            if outcome is not None:
                done[job.__module__] = outcome
        return done

    def run_due(self) -> dict[str, int]:
        """Run each job this process wins the current period's claim for."""
        period = current_period(self.settings.job_interval_seconds)
        done: dict[str, int] = {}
        for job in registered_jobs():
            name = job.__module__.rsplit(".", 1)[-1]
            try:
                mine = claim(self.db, name, period, self.clock())
            except Exception:  # the database is away: try again next tick
                log.exception("could not claim job %s", name)
                continue
            if mine:
                outcome = self._run(job)
                if outcome is not None:
                    done[job.__module__] = outcome
        return done

    def _run(self, job: Job) -> int | None:
        from jiedan_cli.server.metrics import count_job_run

        name = job.__module__.rsplit(".", 1)[-1]
        try:
            outcome = job(self.db, self.settings, self.clock())
        except Exception:  # a failing job must not kill the scheduler; it runs again later
            log.exception("job %s failed", name)
            count_job_run(name, "failed")
            return None
        count_job_run(name, "ok")
        log.info("job %s done", name, extra={"job": name, "count": outcome})
        return outcome

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="jiedan-jobs", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        interval = self.settings.job_interval_seconds
        while not self._stop.wait(_until_next_period(interval)):
            self.run_due()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _until_next_period(interval: float) -> float:
    """Seconds to the start of the next period (+ a little, so the tick falls inside it)."""
    now = time.time()
    return (current_period(interval, now) + 1) * interval - now + 0.01
