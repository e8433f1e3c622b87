"""How the work on an order reads, for its two parties: the milestones as where the money
is, a revision the client asked for, the history (deliveries and the events both sides see),
the reviews and a dispute. My work and the order screen draw the same words, and offer a
move (deliver, review, dispute) only where domain/moves allows it, as store.actions does."""

from __future__ import annotations

import sqlite3
from datetime import tzinfo
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from jiedan_cli.domain import moves
from jiedan_cli.domain.escrow import statuses_as_queued
from jiedan_cli.domain.states import OrderStatus
from jiedan_cli.tui import formatting
from jiedan_cli.tui.messages import OrderWork

Item = dict[str, Any]

# A milestone's status, as where the money is (domain/states.py MilestoneStatus).
ESCROW_WORDS = {
    "created": "not funded yet",
    "funded": "in escrow",
    "submitted": "in escrow, delivered",
    "revision_requested": "in escrow, revising",
    "released": "paid out",
    "auto_released": "paid out",
    "refund_requested": "refund asked",
    "refunded": "refunded",
    "disputed": "disputed",
    "resolved": "split by staff",
    "cancelled": "cancelled",
}

# What an order event (server services: add_order_event) says its actor did.
EVENT_WORDS = {
    "revision_requested": "asked for a revision",
    "cancelled": "cancelled the order",
    "refund_requested": "asked for a refund",
    "refund_approved": "approved the refund",
}

TITLE_WIDTH = 18  # a milestone's title, in cells (Chinese characters take two)


def read_order_work(conn: sqlite3.Connection, order_id: str) -> OrderWork:
    """Everything OrderWork holds, read in the caller's (worker) thread."""
    from jiedan_cli.store import queries

    return OrderWork(
        milestones=queries.list_milestones(conn, order_id),
        events=queries.order_history(conn, order_id),
        deliveries=queries.list_deliveries(conn, order_id),
        reviews=queries.list_reviews(conn, order_id),
        dispute=queries.get_dispute(conn, order_id),
    )


def escrow_summary(milestones: list[Item]) -> str:
    """'in escrow' or '1 paid out, 1 in escrow' — the milestones' money in a few words."""
    if not milestones:
        return "not funded yet"
    counts: dict[str, int] = {}
    for milestone in milestones:
        words = escrow_words(milestone)
        counts[words] = counts.get(words, 0) + 1
    if len(milestones) == 1:
        return next(iter(counts))
    return ", ".join(f"{n} {words}" for words, n in counts.items())


def escrow_words(milestone: Item) -> str:
    status = str(milestone.get("status") or "")
    return ESCROW_WORDS.get(status) or formatting.status(status)


# ---- what is asked of me, and what I may do -------------------------------------------------


def revision_asked(order: Item, work: OrderWork) -> Item | None:
    """The client's revision request still to be answered: the order is back in progress,
    the request is its latest event, and nothing has been delivered since (a delivery
    queued offline counts: it answers the request)."""
    if order.get("status") != "in_progress" or not work.events:
        return None
    latest = work.events[-1]
    if latest.get("kind") != "revision_requested":
        return None
    asked_at = str(latest.get("created_at") or "")
    answered = any(
        str(d.get("created_at") or "") > asked_at and d.get("sync_state") != "rejected"
        for d in work.deliveries
    )
    return None if answered else latest


def work_status(order: Item, work: OrderWork) -> str:
    """The order's status, or "revising" while a revision request waits for a delivery."""
    return "revising" if revision_asked(order, work) else str(order.get("status") or "")


def is_party(order: Item, me: str | None) -> bool:
    return me is not None and me in (order.get("client_id"), order.get("freelancer_id"))


def _statuses(work: OrderWork) -> list[str]:
    """The milestones' statuses once my queued deliveries are taken."""
    return statuses_as_queued(work.milestones, work.deliveries)


def may_deliver(order: Item, work: OrderWork, me: str | None) -> bool:
    """Offer Deliver where domain/moves allows it: a milestone of my order awaits a delivery
    (one already waiting to be sent took the one it answers)."""
    return moves.may_deliver(moves.seat_at(order, me), _statuses(work)) is None


def my_review(work: OrderWork, me: str | None) -> Item | None:
    """My review of the order (a queued one included; a refused one does not count)."""
    for review in work.reviews:
        if review.get("author_id") == me and review.get("sync_state") != "rejected":
            return review
    return None


def may_review(order: Item, work: OrderWork, me: str | None) -> bool:
    """Offer Review: a completed order of mine that I have not reviewed (domain/moves)."""
    reviewed = my_review(work, me) is not None
    return moves.may_review(moves.seat_at(order, me), reviewed=reviewed) is None


def may_dispute(order: Item, work: OrderWork, me: str | None) -> bool:
    """Offer Dispute where domain/moves allows it: an order of mine in progress or delivered
    with money held in escrow (a dispute open or queued has made it disputed)."""
    return moves.may_dispute(moves.seat_at(order, me), _statuses(work)) is None


# ---- drawing ---------------------------------------------------------------------------------


def progress(order: Item, work: OrderWork, me: str | None, tz: tzinfo | None) -> Group:
    """The revision asked (first, it is what to do next), the milestones and the history."""
    parts: list[RenderableType] = []
    asked = revision_asked(order, work)
    if asked is not None:
        banner = Text("Revision asked: ", style=f"bold {formatting.PENDING}")
        note = formatting.shown(asked.get("note"), multiline=True)
        banner.append(note or "(no note)", style="bold")
        banner.append(f"  {formatting.when(asked.get('created_at'), tz)}", style="dim")
        parts.append(banner)
    parts.append(Text("Milestones", style="bold"))
    parts.append(_milestones(work.milestones, tz))
    parts.append(Text("History", style="bold"))
    parts.append(_history(order, work, me, tz))
    return Group(*parts)


def _milestones(milestones: list[Item], tz: tzinfo | None) -> RenderableType:
    if not milestones:
        return Text("  none yet: they are made when the order is funded", style="dim")
    grid = Table.grid(padding=(0, 2), pad_edge=True)
    grid.add_column(max_width=TITLE_WIDTH + 3, no_wrap=True, overflow="ellipsis")
    grid.add_column(justify="right", no_wrap=True, min_width=9)
    grid.add_column(no_wrap=True, min_width=9)
    grid.add_column(style="dim", no_wrap=True, overflow="ellipsis")
    for milestone in milestones:
        title = Text(f"{milestone.get('position') or '·'}. ", style="dim")
        title.append(formatting.shown(milestone.get("title")))
        grid.add_row(  # Text cells: a table reads a str cell as markup
            title,
            Text(formatting.yuan(milestone.get("amount_fen"))),
            Text(escrow_words(milestone)),
            Text(_milestone_when(milestone, tz)),
        )
    return grid


def _milestone_when(milestone: Item, tz: tzinfo | None) -> str:
    """The milestone's latest money step and its day: 'funded 03-06'."""
    for key, words in (
        ("settled_at", "settled"),
        ("submitted_at", "delivered"),
        ("funded_at", "funded"),
    ):
        if milestone.get(key):
            return f"{words} {formatting.when(milestone[key], tz).split(' ')[0]}"
    return ""


def _upload_words(item: Item) -> str:
    """✓ when a delivered file's content is on the server (`jiedan deliveries download`
    fetches it), or how far this machine got sending it."""
    if item.get("uploaded"):
        return " ✓"
    upload = item.get("upload")
    if isinstance(upload, dict):
        size = max(1, int(item.get("size") or 0))
        return f" ({upload.get('state')} {100 * int(upload.get('offset') or 0) // size}%)"
    return ""


def _history(order: Item, work: OrderWork, me: str | None, tz: tzinfo | None) -> RenderableType:
    lines: list[tuple[str, Text]] = []
    for delivery in work.deliveries:
        text = Text(f"{_who(delivery.get('freelancer_id'), order, me)} delivered: ")
        text.append(formatting.shown(delivery.get("note"), multiline=True))
        files = delivery.get("files") or []
        if files:
            names = ", ".join(formatting.shown(f.get("name")) + _upload_words(f) for f in files[:3])
            more = f" +{len(files) - 3}" if len(files) > 3 else ""
            text.append(f"  [{names}{more}]", style="dim")
        _mark(text, delivery)
        lines.append((str(delivery.get("created_at") or ""), text))
    for event in work.events:
        kind = str(event.get("kind") or "")
        text = Text(f"{_who(event.get('actor_id'), order, me)} ")
        text.append(EVENT_WORDS.get(kind) or formatting.shown(kind.replace("_", " ")))
        if event.get("note"):
            text.append(f": {formatting.shown(event['note'], multiline=True)}")
        lines.append((str(event.get("created_at") or ""), text))
    if not lines:
        return Text("  nothing yet", style="dim")
    grid = Table.grid(padding=(0, 2), pad_edge=True)
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for moment, text in sorted(lines, key=lambda line: line[0]):
        grid.add_row(Text(formatting.when(moment, tz)), text)
    return grid


def _who(user_id: Any, order: Item, me: str | None) -> str:
    if user_id is None:
        return "the platform"
    if user_id == me:
        return "you"
    if user_id == order.get("client_id"):
        return "the client"
    return "the freelancer" if user_id == order.get("freelancer_id") else "staff"


def _mark(text: Text, item: Item) -> None:
    state = str(item.get("sync_state") or "synced")
    if state != "synced":
        text.append(f"  {formatting.sync_mark(item)}", style=formatting.SYNC_STYLES[state])


def outcome(order: Item, work: OrderWork, me: str | None, tz: tzinfo | None) -> Group | None:
    """The reviews of a completed order and the dispute, if there is anything to say."""
    parts: list[RenderableType] = []
    if order.get("status") == OrderStatus.COMPLETED and is_party(order, me):
        parts.append(Text("Reviews", style="bold"))
        parts.extend(_reviews(order, work, me))
    if work.dispute is not None:
        parts.append(Text("Dispute", style="bold"))
        parts.append(_dispute(order, work.dispute, me, tz))
    return Group(*parts) if parts else None


def _reviews(order: Item, work: OrderWork, me: str | None) -> list[Text]:
    mine = my_review(work, me)
    other = "the client" if order.get("freelancer_id") == me else "the freelancer"
    theirs = next((r for r in work.reviews if r.get("author_id") not in (me, None)), None)
    lines = []
    if mine is None:
        lines.append(Text("  You have not reviewed this order yet: press v.", style="dim"))
    else:
        lines.append(_review_line("yours", mine))
    if theirs is not None:
        lines.append(_review_line(f"{other}'s", theirs))
    else:
        lines.append(
            Text(
                f"  {other.capitalize()}'s review stays hidden until you have both written"
                " yours (reviews are blind).",
                style="dim",
            )
        )
    return lines


def _review_line(whose: str, review: Item) -> Text:
    stars = int(review.get("stars") or 0)
    text = Text(f"  {whose}  ")
    text.append("★" * stars + "☆" * (5 - stars), style=formatting.ACCENT)
    if review.get("text"):
        text.append(f"  “{formatting.shown(review['text'], multiline=True)}”", style="italic")
    _mark(text, review)
    return text


def _dispute(order: Item, dispute: Item, me: str | None, tz: tzinfo | None) -> Text:
    status = str(dispute.get("status") or "")
    style = f"bold {formatting.PENDING}" if status == "open" else "bold"
    text = Text(f"  {formatting.shown(status)}", style=style)
    text.append(f"  opened by {_who(dispute.get('opened_by'), order, me)}")
    text.append(f" {formatting.when(dispute.get('created_at'), tz)}", style="dim")
    if dispute.get("reason"):
        text.append(f"\n  “{formatting.shown(dispute['reason'], multiline=True)}”", style="italic")
    if dispute.get("to_freelancer_pct") is not None:
        pct = int(dispute["to_freelancer_pct"])
        text.append(f"\n  staff split the escrow: {pct}% to the freelancer, {100 - pct}% back")
    elif status == "open" and dispute.get("sync_state") == "synced":
        text.append("\n  escrow stays held until staff decide", style="dim")
    _mark(text, dispute)
    return text
