"""What the engine reports while it works, for a progress bar (commands) or a status line
(TUI). A callback gets one small event per batch or page; it must be quick."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SyncProgress:
    phase: str  # "push" or "pull"
    done: int  # operations settled, or changes pulled, so far in this phase
    total: int | None  # operations to push when the phase began; None for a pull


ProgressCallback = Callable[[SyncProgress], None]


def report(callback: ProgressCallback | None, phase: str, done: int, total: int | None) -> None:
    if callback is not None:
        callback(SyncProgress(phase, done, total))
