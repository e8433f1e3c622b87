"""Who may still write in an order's message thread: one rule for the server and for the
offline client. A thread is (order, freelancer); once the order is awarded only the thread
with the awarded freelancer stays open — the other bidders lost it, and neither side writes
to the other about it any more."""

from __future__ import annotations

from jiedan_cli.domain.errors import Conflict


def thread_closed(awarded_freelancer_id: str | None, thread_freelancer_id: str) -> bool:
    """Whether the order went to someone other than the thread's freelancer."""
    return awarded_freelancer_id is not None and awarded_freelancer_id != thread_freelancer_id


def require_thread_open(closed: bool) -> None:
    if closed:
        raise Conflict(
            "the order went to another freelancer; this message thread is closed",
            code="thread_closed",
        )
