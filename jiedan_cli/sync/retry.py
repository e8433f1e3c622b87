"""Deadlines and backoff for the sync engine. Only the monotonic clock is used: the wall
clock of a laptop may be off by a day (sync.md) and must change nothing."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from jiedan_cli.domain.errors import Offline, TemporaryFailure, TooManyAttempts

T = TypeVar("T")
# Below this much time left, another attempt cannot finish: give up instead.
MIN_ATTEMPT_SECONDS = 0.05


class Deadline:
    """A point in monotonic time; `None` seconds means no limit."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self.end is None else self.end - time.monotonic()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left < MIN_ATTEMPT_SECONDS


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter: first, 2×first, 4×first … capped at `cap`, each
    wait drawn from [½, 1] of that step (so many clients do not return in lock-step), and
    never shorter than the server's Retry-After."""

    first: float = 0.2
    cap: float = 5.0
    # How long one request may keep failing before the sync gives up on the server, however
    # much of the deadline is left: a long `jiedan sync` deadline is for slow progress, not
    # for waiting minutes on a server that is down.
    give_up_after: float | None = 20.0
    # A refused connection (nothing listens at the address) is retried only this long: time
    # for a server to come back from a restart, not 20 s of a person staring at a silent
    # `jiedan sync` while the server is down.
    give_up_refused_after: float = 1.5
    rng: random.Random = field(default_factory=random.Random)
    # Told of each wait (the failure, the seconds), e.g. to say on a terminal that the
    # server is slow and the sync is retrying.
    on_retry: Callable[[Exception, float], None] | None = None

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        step = min(self.cap, self.first * float(1 << min(attempt, 30)))
        chosen = step * self.rng.uniform(0.5, 1.0)
        if retry_after is not None:
            chosen = max(chosen, min(retry_after, self.cap))
        return chosen


def retrying(
    attempt: Callable[[float | None], T],
    deadline: Deadline,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[Exception, float], None] | None = None,
) -> T:
    """`attempt(seconds_left)` until it succeeds; on Offline or a temporary failure wait and
    try again while the deadline (and the policy's patience) allows, then raise Offline
    (the command's exit 6)."""
    tries = 0
    started = time.monotonic()
    last: Offline | TemporaryFailure | TooManyAttempts | None = None
    while True:
        if deadline.expired():
            # A sleep may overrun the deadline on a loaded machine: the reason is then the
            # failure that made us wait, not a bare "out of time".
            if last is not None:
                raise _given_up(last)
            raise Offline("the sync ran out of time before the server answered")
        try:
            return attempt(deadline.remaining())
        except (Offline, TemporaryFailure, TooManyAttempts) as exc:
            last = exc
            retry_after = getattr(exc, "retry_after", None)
            pause = policy.wait(tries, float(retry_after) if retry_after is not None else None)
            tries += 1
            left = deadline.remaining()
            patience_for = policy.give_up_after
            if isinstance(exc, Offline) and exc.refused:
                patience_for = min(
                    patience_for or policy.give_up_refused_after, policy.give_up_refused_after
                )
            if patience_for is not None:
                patience = started + patience_for - time.monotonic()
                left = patience if left is None else min(left, patience)
            if left is not None and left < pause + MIN_ATTEMPT_SECONDS:
                if isinstance(exc, Offline):
                    raise
                raise _given_up(exc) from exc
            for notify in (on_retry, policy.on_retry):
                if notify is not None:
                    notify(exc, pause)
            sleep(pause)


def _given_up(exc: Offline | TemporaryFailure | TooManyAttempts) -> Offline:
    """The Offline to raise when retrying `exc` cannot go on."""
    if isinstance(exc, Offline):
        return exc
    return Offline(f"the server stayed busy: {exc.message}")
