"""The purge job (services/housekeeping.py): sign-in attempts older than the throttle's window
and Idempotency-Keys older than a day go; what the throttle and replays still read stays."""

from __future__ import annotations

from sqlalchemy import func, select

from jiedan_cli.server.db.tables import idempotency_keys, login_attempts
from tests.server.conftest import Server

JOB = "jiedan_cli.server.jobs.purge"


def counts(server: Server) -> tuple[int, int]:
    with server.db.read() as conn:
        attempts = conn.scalar(select(func.count()).select_from(login_attempts))
        keys = conn.scalar(select(func.count()).select_from(idempotency_keys))
    return int(attempts or 0), int(keys or 0)


def test_old_attempts_and_keys_are_purged_and_recent_ones_kept(server: Server) -> None:
    user = server.register("freelancer")
    wrong = {"email": user["email"], "password": "not the password"}
    assert server.client.post("/v1/auth/login", json=wrong).status_code == 401
    headers = {**server.as_user(user["token"]), "Idempotency-Key": "k-1"}
    server.client.post("/v1/auth/logout", headers=headers)  # a POST with a key: its answer kept
    assert counts(server)[0] >= 1 and counts(server)[1] >= 1
    assert server.app.state.jobs.run_once()[JOB] == 0  # all of it still read

    server.clock.advance(hours=2)  # past the throttle's hour: the attempts go
    purged = server.app.state.jobs.run_once()[JOB]
    assert purged >= 1 and counts(server)[0] == 0 and counts(server)[1] >= 1
    server.clock.advance(hours=23)  # past a day: the keys go too
    assert server.app.state.jobs.run_once()[JOB] >= 1
    assert counts(server) == (0, 0)
