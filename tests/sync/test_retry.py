"""Backoff: exponential, jittered, capped, never shorter than the server's Retry-After, and
bounded by the deadline — measured on the monotonic clock only."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiedan_cli.domain.errors import Offline, TemporaryFailure
from jiedan_cli.sync.http import ServerBusy
from jiedan_cli.sync.retry import Deadline, RetryPolicy, retrying


@given(
    attempt=st.integers(0, 60),
    retry_after=st.none() | st.floats(0, 100),
    seed=st.integers(0, 2**32),
)
def test_each_wait_is_half_to_all_of_a_capped_doubling_step_and_honours_retry_after(
    attempt: int, retry_after: float | None, seed: int
) -> None:
    policy = RetryPolicy(first=0.2, cap=5.0, rng=random.Random(seed))
    step = min(5.0, 0.2 * 2**attempt)
    wait = policy.wait(attempt, retry_after)
    floor = max(step / 2, min(retry_after, 5.0)) if retry_after is not None else step / 2
    assert floor <= wait <= max(step, floor)
    assert wait <= 5.0


def test_temporary_failures_are_retried_until_one_succeeds() -> None:
    answers: list[Exception | str] = [Offline("down"), ServerBusy("busy", retry_after=0), "ok"]
    waits: list[float] = []

    def attempt(_left: float | None) -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    policy = RetryPolicy(first=0.01, cap=0.05)
    assert retrying(attempt, Deadline(10), policy, sleep=waits.append) == "ok"
    assert len(waits) == 2 and all(0 < w <= 0.05 for w in waits)


def test_a_server_busy_past_the_deadline_becomes_offline() -> None:
    def attempt(_left: float | None) -> None:
        raise TemporaryFailure("database busy")

    with pytest.raises(Offline, match="stayed busy"):
        retrying(attempt, Deadline(0.3), RetryPolicy(first=0.05, cap=0.1))


def test_a_wait_that_overruns_the_deadline_still_names_the_busy_server() -> None:
    """CI on a loaded machine: the sleep overran the deadline, and the sync said only that it
    ran out of time, not that the server had stayed busy."""

    def attempt(_left: float | None) -> None:
        raise TemporaryFailure("database busy")

    def overrunning(seconds: float) -> None:
        time.sleep(seconds + 0.3)

    with pytest.raises(Offline, match="stayed busy: database busy"):
        retrying(attempt, Deadline(0.3), RetryPolicy(first=0.05, cap=0.1), sleep=overrunning)


def test_each_attempt_gets_what_is_left_of_the_deadline() -> None:
    seen: list[float | None] = []

    def attempt(left: float | None) -> str:
        seen.append(left)
        return "ok"

    retrying(attempt, Deadline(3), RetryPolicy())
    retrying(attempt, Deadline(None), RetryPolicy())
    assert seen[0] is not None and 2.5 < seen[0] <= 3
    assert seen[1] is None


def test_a_refused_connection_is_given_up_on_soon_a_slow_server_is_not() -> None:
    """Reproduced by hand: `jiedan sync` with the server down waited 18–20 s in silence.
    A refused connection (nothing listens) is retried for at most give_up_refused_after;
    a timeout keeps the policy's patience, and each wait is told (the sync command says it
    is retrying)."""
    waits: list[float] = []

    def refused(_left: float | None) -> None:
        raise Offline("cannot reach the server (connection refused or no route)", refused=True)

    def sleeping(seconds: float) -> None:  # the patience is counted on the real clock
        waits.append(seconds)
        time.sleep(seconds)

    policy = RetryPolicy(
        first=0.02, cap=5.0, give_up_after=20.0, give_up_refused_after=0.3, rng=random.Random(1)
    )
    with pytest.raises(Offline, match="connection refused"):
        retrying(refused, Deadline(None), policy, sleep=sleeping)
    assert len(waits) >= 1 and sum(waits) <= policy.give_up_refused_after

    told: list[float] = []
    slow_waits: list[float] = []
    answers: list[Exception | str] = [Offline("timed out")] * 4 + ["ok"]

    def slow(_left: float | None) -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    patient = RetryPolicy(first=0.5, cap=5.0, on_retry=lambda _exc, pause: told.append(pause))
    assert retrying(slow, Deadline(None), patient, sleep=slow_waits.append) == "ok"
    assert sum(slow_waits) > patient.give_up_refused_after  # still waiting past 1.5 s
    assert told == slow_waits
