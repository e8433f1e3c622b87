"""Who may still write in an order's message thread: one rule for the server and for the
offline client. A thread is (order, freelancer); a freelancer opens one by bidding, or by
asking the client a question about an open order before bidding (咨询). Once the order is
awarded only the thread with the awarded freelancer stays open — the other bidders (and
askers) lost it, and neither side writes to the other about it any more."""

from __future__ import annotations

from jiedan_cli.domain.errors import TooManyAttempts

# Questions a freelancer may send in a day, over all the orders they have not bid on: enough
# to ask before bidding, too few to spam clients (each is masked like any message before
# an award).
QUESTIONS_PER_DAY = 20


def thread_closed(awarded_freelancer_id: str | None, thread_freelancer_id: str) -> bool:
    """Whether the order went to someone other than the thread's freelancer (what it means
    for a message: domain/moves.may_message)."""
    return awarded_freelancer_id is not None and awarded_freelancer_id != thread_freelancer_id


def require_question_allowed(asked_today: int) -> None:
    if asked_today >= QUESTIONS_PER_DAY:
        raise TooManyAttempts(
            f"at most {QUESTIONS_PER_DAY} questions a day on orders you have not bid on;"
            " bid, or ask again tomorrow",
            retry_after=3600,
        )
