"""Backoff: exponential, jittered, capped, never shorter than the server's Retry-After, and
bounded by the deadline — measured on the monotonic clock only."""

from __future__ import annotations

import random

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


def test_each_attempt_gets_what_is_left_of_the_deadline() -> None:
    seen: list[float | None] = []

    def attempt(left: float | None) -> str:
        seen.append(left)
        return "ok"

    retrying(attempt, Deadline(3), RetryPolicy())
    retrying(attempt, Deadline(None), RetryPolicy())
    assert seen[0] is not None and 2.5 < seen[0] <= 3
    assert seen[1] is None
