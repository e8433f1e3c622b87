"""Scheduled jobs with two server processes running them on one PostgreSQL database: each
due milestone is released exactly once, and each job runs once a period, not once a process."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from jiedan_cli.server.jobs.scheduler import JOB_NAMES
from tests.server.processes import running_servers, throwaway_database
from tests.server.test_many_processes import bearer, plain_url, register

pytestmark = [pytest.mark.postgres, pytest.mark.processes, pytest.mark.xdist_group("processes")]

ORDERS = 6
INTERVAL = 1.0
FILES = [{"name": "logo.ai", "size": 2048, "sha256": "ab" * 32}]


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def delivered_order(base: str, client: dict[str, Any], freelancer: dict[str, Any]) -> str:
    """An order taken through post, bid, award, fund and delivery on the server at `base`."""
    with httpx.Client(base_url=base, timeout=30) as http:
        order = ok(
            http.post(
                "/v1/orders",
                headers=bearer(client),
                json={
                    "title": "多进程定时任务",
                    "description": "交付后等待自动放款",
                    "category": "design",
                    "tags": ["logo"],
                    "budget_min_fen": 50_000,
                    "budget_max_fen": 90_000,
                },
            ),
            201,
        )
        path = f"/v1/orders/{order['id']}"
        bid = ok(
            http.post(
                f"{path}/bids",
                headers=bearer(freelancer),
                json={"amount_fen": 60_000, "days": 3, "message": "可以"},
            ),
            201,
        )
        ok(http.post(f"{path}/award", headers=bearer(client), json={"bid_id": bid["id"]}))
        assert ok(http.post(f"{path}/fund", headers=bearer(client)))["order"]["status"] == (
            "in_progress"
        )
        ok(
            http.post(
                f"{path}/deliveries",
                headers=bearer(freelancer),
                json={"note": "终稿", "files": FILES},
            ),
            201,
        )
    return str(order["id"])


def test_due_milestones_are_released_once_and_each_job_runs_once_a_period(
    tmp_path: Path,
) -> None:
    env = {
        "JIEDAN_SERVER_JOB_INTERVAL_SECONDS": str(INTERVAL),
        # due as soon as delivered: the scheduled job races the client's own acceptance
        "JIEDAN_SERVER_AUTO_RELEASE_DAYS": "0",
    }
    first_period = int(time.time() // INTERVAL)
    with (
        throwaway_database() as url,
        running_servers(url, tmp_path, 2, env=env) as (one, other),
    ):
        client = register(one, "jobs-client@example.com")
        freelancer = register(other, "jobs-freelancer@example.com")
        order_ids = [
            delivered_order((one, other)[n % 2].base, client, freelancer) for n in range(ORDERS)
        ]
        # The client accepts every other order on both processes at once, while the jobs of
        # both processes try to auto-release the same milestones.
        accepts: list[int] = []

        def accept(base: str, order_id: str) -> None:
            response = httpx.post(f"{base}/v1/orders/{order_id}/accept", headers=bearer(client))
            accepts.append(response.status_code)

        racers = [
            threading.Thread(target=accept, args=(server.base, order_id))
            for order_id in order_ids[::2]
            for server in (one, other)
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        assert all(status in (200, 409) for status in accepts), accepts

        deadline = time.monotonic() + 30
        with psycopg.connect(plain_url(url), autocommit=True) as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(
                    "SELECT count(*) FROM milestones WHERE status = 'submitted'"
                ).fetchone()
                if waiting and waiting[0] == 0:
                    break
                time.sleep(0.2)
            time.sleep(3 * INTERVAL)  # a few more periods with nothing left to do
            # What each process says it ran, read before the table so no run falls between
            ran = [s.metric_totals("jiedan_job_runs_total", "job") for s in (one, other)]
            statuses = dict(conn.execute("SELECT order_id, status FROM milestones").fetchall())
            releases = conn.execute(
                "SELECT id FROM ledger_transfers WHERE id LIKE 'release:%'"
            ).fetchall()
            runs = dict(conn.execute("SELECT job, runs FROM job_runs").fetchall())
            periods = dict(conn.execute("SELECT job, period FROM job_runs").fetchall())
    assert set(statuses) == set(order_ids)
    assert set(statuses.values()) <= {"released", "auto_released"}
    assert "auto_released" in statuses.values()
    # one payout a milestone, whoever released it
    assert len(releases) == len({r[0] for r in releases}) == ORDERS
    # Each job ran at most once a period over the whole run, though both processes tick
    # each period: never more runs than periods since the servers started.
    assert set(runs) == set(JOB_NAMES)
    for job, count in runs.items():
        assert 3 <= count <= periods[job] - first_period + 1, (job, count)
        # the processes' own counts (Prometheus) agree: the claims are all that ran, and a
        # run may have started after the metrics were read, never before
        by_both = ran[0].get(job, 0) + ran[1].get(job, 0)
        assert count - 1 <= by_both <= count, (job, count, ran)
