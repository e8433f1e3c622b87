"""The server's sense of now, injectable so scheduled jobs can be tested without waiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from jiedan_cli.domain.timefmt import utcnow

Clock = Callable[[], datetime]


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
