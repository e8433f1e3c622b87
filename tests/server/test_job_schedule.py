"""Scheduled jobs run once a period across every process that runs the scheduler
(jobs/scheduler.py): a claim is one conditional write to the job's `job_runs` row."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select

from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import job_runs
from jiedan_cli.server.jobs.scheduler import JOB_NAMES, JobRunner, claim, current_period
from tests.server.conftest import Server

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_a_period_is_claimed_once_and_the_next_one_again(server: Server) -> None:
    assert claim(server.db, "auto_release", 7, NOW)
    assert not claim(server.db, "auto_release", 7, NOW)
    assert not claim(server.db, "auto_release", 6, NOW)  # a late process, an earlier period
    assert claim(server.db, "auto_release", 8, NOW)
    assert claim(server.db, "purge", 8, NOW)  # each job its own
    with server.db.read() as conn:
        row = conn.execute(select(job_runs).where(job_runs.c.job == "auto_release")).one()
    assert (row.period, row.runs) == (8, 2)


def test_concurrent_claims_of_one_period_have_one_winner(server: Server) -> None:
    """Many threads, each with its own engine (as separate processes would have), claim the
    same periods at once: exactly one claim a period wins, a fresh job's first row too."""
    url = server.db.engine.url.render_as_string(hide_password=False)
    handles = [Database(url) for _ in range(6)]
    wins: list[tuple[int, int]] = []
    lock = threading.Lock()

    def claimer(n: int) -> None:
        for period in range(100, 110):
            if claim(handles[n], "race", period, NOW):
                with lock:
                    wins.append((period, n))

    try:
        threads = [threading.Thread(target=claimer, args=(n,)) for n in range(len(handles))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for handle in handles:
            handle.dispose()
    assert sorted(period for period, _ in wins) == list(range(100, 110))


def test_two_schedulers_in_one_period_run_each_job_once(server: Server) -> None:
    first = JobRunner(server.db, server.settings, server.clock)
    second = JobRunner(server.db, server.settings, server.clock)
    server.settings.job_interval_seconds = 3600.0  # one period for the whole test
    ran = [first.run_due(), second.run_due()]
    modules = {f"jiedan_cli.server.jobs.{name}" for name in JOB_NAMES}
    assert set(ran[0]) | set(ran[1]) == modules
    assert not set(ran[0]) & set(ran[1])


def test_periods_are_cut_from_wall_clock_seconds() -> None:
    assert current_period(60, at=119.9) == 1
    assert current_period(60, at=120.0) == 2
    assert current_period(0.5, at=10.2) == 20
