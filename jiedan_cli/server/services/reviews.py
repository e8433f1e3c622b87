"""Reviews (评价): after completion, each party of the order reviews the other, once.

Blind (security.md): a review stays hidden until both sides reviewed or `review_blind_days`
passed since it was written, so neither side can answer a bad review in kind. The subject's
rating (profiles.rating_count/rating_sum) counts a review only once it is revealed, or the
average would give the stars away.

Integrity (security.md, #12): a review between accounts seen on one install
(`install_links.share_an_install`) is flagged when it is written and held: it counts in no
rating and is shown to nobody but its author until a reviewer clears it
(`review_integrity.clear_review`). Whoever makes a review both revealed and unflagged — the
reveal or the clearing, in whichever order they commit — counts it (`count_in_rating`), once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from jiedan_cli.domain.errors import Conflict, NotFound
from jiedan_cli.domain.ids import check_id, new_id
from jiedan_cli.domain.moves import Seat, may_review, require, role_of
from jiedan_cli.domain.order_rules import check_review
from jiedan_cli.domain.points import POINTS_FOR_REVIEW
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import orders, profiles, reviews, users
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.changes import PUBLIC, Kind, publish, register
from jiedan_cli.server.services.install_links import share_an_install
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows

# GET /v1/users/{id}/reviews answers a page of at most this many.
USER_REVIEWS_MAX = 100


def review_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_id": row.order_id,
        "author_id": row.author_id,
        "subject_id": row.subject_id,
        "stars": row.stars,
        "text": row.text,
        "created_at": rfc3339(row.created_at),
    }


def is_public(row: Row[Any]) -> bool:
    """Revealed and not held for integrity review."""
    return row.revealed_at is not None and not row.flagged


# Blind (unrevealed) or held a review is its author's alone; revealed, everyone's.
register(
    Kind.REVIEW,
    view=review_view,
    audience=lambda row, _: PUBLIC if is_public(row) else (row.author_id,),
)


def _party_order(conn: Connection, actor: Actor, order_id: str) -> Row[Any]:
    order = conn.execute(select(orders).where(orders.c.id == order_id)).first()
    if order is None:
        raise NotFound(f"no order {order_id} of yours")
    role = role_of(actor.id, order.client_id, order.freelancer_id, has_bid=False)
    require(may_review(Seat(order.id, order.status, role)))
    return order


def write_review(
    conn: Connection,
    actor: Actor,
    *,
    order_id: str,
    stars: int,
    text: str = "",
    now: datetime,
    review_id: str | None = None,
) -> dict[str, Any]:
    stars, text = check_review(stars, text)
    new = check_id(review_id) if review_id is not None else new_id()
    order = _party_order(conn, actor, order_id)
    subject = order.freelancer_id if actor.id == order.client_id else order.client_id
    taken = select(reviews.c.id).where(
        or_(
            reviews.c.id == new,
            (reviews.c.order_id == order_id) & (reviews.c.author_id == actor.id),
        )
    )
    if conn.execute(taken).first() is not None:
        raise Conflict("you have reviewed this order already", code="review_exists")
    flagged = share_an_install(conn, actor.id, subject, now=now)
    try:
        conn.execute(
            insert(reviews).values(
                id=new,
                order_id=order_id,
                author_id=actor.id,
                subject_id=subject,
                stars=stars,
                text=text,
                flagged=flagged,
                created_at=now,
            )
        )
    except IntegrityError as exc:  # uq_reviews_order_author: a racing twin got there first
        raise Conflict("you have reviewed this order already", code="review_exists") from exc
    row = conn.execute(select(reviews).where(reviews.c.id == new)).one()
    if flagged:
        audit(conn, "review.flagged", now=now, actor_id=actor.id, target=new, order_id=order_id)
    publish(conn, Kind.REVIEW, row, now=now)
    view = review_view(row)
    _award_review_points(conn, actor.id, order_id, now=now)
    if _both_sides_reviewed(conn, order_id):
        for row in conn.execute(select(reviews).where(reviews.c.order_id == order_id)).all():
            reveal_review(conn, row, now=now)
    return view


def _award_review_points(conn: Connection, user_id: str, order_id: str, *, now: datetime) -> None:
    from jiedan_cli.server.services.points import earn_points  # points may read orders

    earn_points(
        conn,
        user_id=user_id,
        base=POINTS_FOR_REVIEW,
        kind="review",
        entry_id=f"review:{order_id}:{user_id}",
        now=now,
        order_id=order_id,
    )


def _both_sides_reviewed(conn: Connection, order_id: str) -> bool:
    authors = conn.execute(select(reviews.c.author_id).where(reviews.c.order_id == order_id))
    return len(authors.all()) >= 2


def reveal_review(conn: Connection, row: Row[Any], *, now: datetime) -> bool:
    """Reveal a review and count it in its subject's rating — once, however many writers
    (the second review, the reveal job) race to do it; a held (flagged) one is revealed
    but counted only when a reviewer clears it."""
    revealed = conn.execute(
        update(reviews)
        .where(reviews.c.id == row.id, reviews.c.revealed_at.is_(None))
        .values(revealed_at=now)
        .returning(*reviews.c)
    ).first()
    if revealed is None:
        return False
    publish(conn, Kind.REVIEW, revealed, now=now)
    if not revealed.flagged:
        count_in_rating(conn, revealed, now=now)
    return True


def count_in_rating(conn: Connection, row: Row[Any], *, now: datetime) -> None:
    """Add a revealed, unflagged review's stars to its subject's rating."""
    from jiedan_cli.server.services.profiles import republish_profile

    conn.execute(
        update(profiles)
        .where(profiles.c.user_id == row.subject_id)
        .values(
            rating_count=profiles.c.rating_count + 1,
            rating_sum=profiles.c.rating_sum + row.stars,
            updated_at=now,
        )
    )
    republish_profile(conn, row.subject_id, now=now)


def reveal_due_reviews(conn: Connection, *, now: datetime, blind_days: int) -> int:
    """Reveal the reviews whose blind period is over; the number revealed."""
    cutoff = now - timedelta(days=blind_days)
    due = conn.execute(
        select(reviews)
        .where(reviews.c.revealed_at.is_(None), reviews.c.created_at <= cutoff)
        .order_by(reviews.c.created_at)
        .limit(500)
    ).all()
    return sum(reveal_review(conn, row, now=now) for row in due)


def reviews_of_user(
    conn: Connection,
    user_id: str,
    *,
    now: datetime,
    blind_days: int,
    page: PageRequest | None = None,
) -> Page:
    """The revealed reviews about `user_id`, newest first; blind ones stay hidden even
    before the reveal job has run, held (flagged) ones until a reviewer clears them."""
    if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
        raise NotFound(f"no user {user_id}")
    cutoff = now - timedelta(days=blind_days)
    query = select(reviews).where(
        reviews.c.subject_id == user_id,
        reviews.c.flagged.is_(False),
        or_(reviews.c.revealed_at.is_not(None), reviews.c.created_at <= cutoff),
    )
    key = (reviews.c.created_at, reviews.c.id)
    rows, cursor = keyset_rows(conn, query, key, page, newest_first=True)
    return Page([review_view(row) for row in rows], cursor)
