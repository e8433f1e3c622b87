"""The reviews held for integrity review (security.md, Review integrity; #12): a review
between two accounts seen on one install is flagged when it is written (`reviews.write_review`)
and counts in no rating until a reviewer clears it here. Reviewers and admins; staff never
see nor clear a review they wrote or that is about them (staff_rules). Every clearing is
audited (`review.cleared`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from jiedan_cli.domain.errors import Conflict, NotFound
from jiedan_cli.domain.ids import check_id
from jiedan_cli.server.db.tables import reviews
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.changes import Kind, publish
from jiedan_cli.server.services.devices import link_since, shared_installs_column
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows
from jiedan_cli.server.services.reviews import count_in_rating, review_view
from jiedan_cli.server.services.staff_rules import refuse_party
from jiedan_cli.server.services.verification import REVIEWERS

REASON = "author and subject were seen on the same install (同一设备)"


def held_view(row: Row[Any]) -> dict[str, Any]:
    """A held review as staff see it: the review, whether it is revealed yet, and why held."""
    return {
        **review_view(row),
        "revealed": row.revealed_at is not None,
        "reason": REASON,
        "shared_installs": int(row.shared_installs),
    }


def held_reviews(
    conn: Connection, staff: Actor, *, now: datetime, page: PageRequest | None = None
) -> Page:
    """The flagged reviews awaiting a reviewer, oldest first, less those the caller is party
    to (another reviewer must decide them; filtered in the query so a page is full)."""
    staff.require(*REVIEWERS)
    shared = shared_installs_column(reviews.c.author_id, reviews.c.subject_id, link_since(now))
    query = select(*reviews.c, shared.label("shared_installs")).where(
        reviews.c.flagged.is_(True),
        reviews.c.author_id != staff.id,
        reviews.c.subject_id != staff.id,
    )
    rows, cursor = keyset_rows(conn, query, (reviews.c.created_at, reviews.c.id), page)
    return Page([held_view(row) for row in rows], cursor)


def clear_review(
    conn: Connection, staff: Actor, review_id: str, *, now: datetime
) -> dict[str, Any]:
    """Clear a held review: it becomes public once revealed, and counts in its subject's
    rating from then (at once if it is revealed already). Conflict when it is not held."""
    staff.require(*REVIEWERS)
    review_id = check_id(review_id, field="review_id")
    row = conn.execute(select(reviews).where(reviews.c.id == review_id)).first()
    if row is None:
        raise NotFound(f"no review {review_id}")
    refuse_party(staff, [row.author_id, row.subject_id], what="a review")
    # Conditional, so a clearing racing a reveal (or another clearing) counts the stars once:
    # RETURNING shows the reveal if it committed first (reviews.reveal_review then skipped it).
    cleared = conn.execute(
        update(reviews)
        .where(reviews.c.id == review_id, reviews.c.flagged.is_(True))
        .values(flagged=False)
        .returning(*reviews.c)
    ).first()
    if cleared is None:
        raise Conflict(f"review {review_id} is not held for review", code="review_not_held")
    audit(
        conn,
        "review.cleared",
        now=now,
        actor_id=staff.id,
        target=review_id,
        order_id=row.order_id,
        author_id=row.author_id,
        subject_id=row.subject_id,
    )
    publish(conn, Kind.REVIEW, cleared, now=now)
    if cleared.revealed_at is not None:
        count_in_rating(conn, cleared, now=now)
    return review_view(cleared)
