"""Profiles (个人资料) and portfolios (作品集). A profile is public; portfolio items are public
or private (the owner's eyes only), which photographers asked for. Rating and completion
counts are kept by reviews and escrow, never set by the owner."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from jiedan_cli.domain.badges import badges_for
from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound
from jiedan_cli.domain.ids import check_id, new_id
from jiedan_cli.domain.money import CURRENCY, check_fen
from jiedan_cli.domain.tiers import tier_for, tier_label
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import (
    disputes,
    orders,
    portfolio_items,
    profiles,
    reviews,
    users,
)
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.changes import Kind, publish, publish_deletion, register
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows
from jiedan_cli.server.services.points import completed_volume

EDITABLE = frozenset({"skills", "bio", "city", "lat", "lon", "hourly_rate_fen"})
MAX_SKILLS = 30
MAX_SKILL_LENGTH = 50
MAX_BIO = 2000
MAX_CITY = 100
MAX_TITLE = 200
MAX_URL = 2000
MAX_DESCRIPTION = 5000


def empty_profile_row(user_id: str, *, now: datetime) -> dict[str, Any]:
    return {"user_id": user_id, "skills": [], "bio": "", "updated_at": now}


# ---- reading ------------------------------------------------------------------------------


def portfolio_item_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "url": row.url,
        "description": row.description,
        "public": bool(row.public),
        "created_at": rfc3339(row.created_at),
    }


def profile_view(
    conn: Connection, user_id: str, *, viewer_id: str | None, now: datetime
) -> dict[str, Any]:
    """The public profile; its owner also sees the location and private portfolio items.
    The tier is the trailing year's before `now`, and the badges follow from it
    (domain/badges.py)."""

    row = conn.execute(
        select(
            profiles,
            users.c.name,
            users.c.verification,
            users.c.created_at.label("joined_at"),
            _disputes_as_freelancer(user_id),
        )
        .join(users, users.c.id == profiles.c.user_id)
        .where(profiles.c.user_id == user_id, users.c.status == "active")
    ).first()
    if row is None:
        raise NotFound(f"no profile {user_id}")
    is_owner = viewer_id == user_id
    tier = tier_for(*completed_volume(conn, user_id, now=now))
    view: dict[str, Any] = {
        "user_id": row.user_id,
        "name": row.name,
        "skills": list(row.skills),
        "bio": row.bio,
        "city": row.city,
        "hourly_rate_fen": row.hourly_rate_fen,
        "currency": CURRENCY,
        "rating": {
            "count": row.rating_count,
            "average": round(row.rating_sum / row.rating_count, 2) if row.rating_count else None,
        },
        "completed_count": row.completed_count,
        # what a client weighs before an award (纠纷预警): real-name verified, how long on
        # the platform, disputes on orders this person worked on
        "verified": row.verification == "approved",
        "joined_at": rfc3339(row.joined_at),
        "dispute_count": row.dispute_count,
        "tier": str(tier),
        "tier_label": tier_label(tier),
        "badges": badges_for(tier, row.joined_at, _ratings_by_category(conn, user_id), now=now),
        "portfolio": _portfolio(conn, user_id, include_private=is_owner),
        "updated_at": rfc3339(row.updated_at),
    }
    if is_owner:
        view["lat"], view["lon"] = row.lat, row.lon
    return view


def _disputes_as_freelancer(user_id: str) -> Any:
    """How many disputes were opened on orders `user_id` was awarded, by either side."""
    return (
        select(func.count())
        .select_from(disputes.join(orders, orders.c.id == disputes.c.order_id))
        .where(orders.c.freelancer_id == user_id)
        .scalar_subquery()
        .label("dispute_count")
    )


def _ratings_by_category(conn: Connection, user_id: str) -> dict[str, tuple[float, int]]:
    """category → (average stars, reviews) of the revealed reviews of work `user_id` did
    (orders they were awarded); flagged reviews do not count."""
    query = (
        select(orders.c.category, func.avg(reviews.c.stars), func.count())
        .select_from(reviews.join(orders, orders.c.id == reviews.c.order_id))
        .where(
            reviews.c.subject_id == user_id,
            orders.c.freelancer_id == user_id,
            reviews.c.revealed_at.is_not(None),
            reviews.c.flagged.is_(False),
        )
        .group_by(orders.c.category)
    )
    return {str(c): (float(avg), int(n)) for c, avg, n in conn.execute(query)}


def _portfolio(conn: Connection, user_id: str, *, include_private: bool) -> list[dict[str, Any]]:
    query = select(portfolio_items).where(portfolio_items.c.user_id == user_id)
    if not include_private:
        query = query.where(portfolio_items.c.public.is_(True))
    rows = conn.execute(query.order_by(portfolio_items.c.created_at, portfolio_items.c.id))
    return [portfolio_item_view(r) for r in rows]


def list_portfolio(conn: Connection, actor: Actor, page: PageRequest | None = None) -> Page:
    """The caller's portfolio, private items too, oldest first."""
    query = select(portfolio_items).where(portfolio_items.c.user_id == actor.id)
    key = (portfolio_items.c.created_at, portfolio_items.c.id)
    rows, cursor = keyset_rows(conn, query, key, page)
    return Page([portfolio_item_view(r) for r in rows], cursor)


# ---- the owner's changes ------------------------------------------------------------------


def update_profile(
    conn: Connection, actor: Actor, changes: dict[str, Any], *, now: datetime
) -> dict[str, Any]:
    """Apply `changes` (only the EDITABLE fields) and return the owner's view."""
    unknown = set(changes) - EDITABLE
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(f"{field}: not a field you can change", field=field)
    values = {name: _CHECKS[name](value) for name, value in changes.items()}
    current = conn.execute(
        select(profiles.c.lat, profiles.c.lon).where(profiles.c.user_id == actor.id)
    ).one()
    lat, lon = values.get("lat", current.lat), values.get("lon", current.lon)
    if (lat is None) != (lon is None):
        raise InvalidInput("lat, lon: give both or neither", field="lat")
    conn.execute(
        update(profiles).where(profiles.c.user_id == actor.id).values(**values, updated_at=now)
    )
    return record_profile(conn, actor.id, now=now)


def add_portfolio_item(
    conn: Connection,
    actor: Actor,
    *,
    title: str,
    url: str | None = None,
    description: str = "",
    public: bool = True,
    now: datetime,
    item_id: str | None = None,
) -> dict[str, Any]:
    item_id = check_id(item_id) if item_id is not None else new_id()
    existing = conn.execute(select(portfolio_items).where(portfolio_items.c.id == item_id)).first()
    if existing is not None:
        if existing.user_id != actor.id:
            raise Conflict(f"the id {item_id} is taken", field="id")
        return portfolio_item_view(existing)  # a retried request
    conn.execute(
        insert(portfolio_items).values(
            id=item_id,
            user_id=actor.id,
            title=_text(title, "title", 1, MAX_TITLE),
            url=_url(url),
            description=_text(description, "description", 0, MAX_DESCRIPTION),
            public=bool(public),
            created_at=now,
        )
    )
    _touch(conn, actor.id, now=now)
    record_profile(conn, actor.id, now=now)
    row = conn.execute(select(portfolio_items).where(portfolio_items.c.id == item_id)).one()
    return portfolio_item_view(row)


def remove_portfolio_item(conn: Connection, actor: Actor, item_id: str, *, now: datetime) -> None:
    removed = conn.execute(
        delete(portfolio_items).where(
            portfolio_items.c.id == item_id, portfolio_items.c.user_id == actor.id
        )
    ).rowcount
    if not removed:
        raise NotFound(f"no portfolio item {item_id}")
    _touch(conn, actor.id, now=now)
    record_profile(conn, actor.id, now=now)


def _touch(conn: Connection, user_id: str, *, now: datetime) -> None:
    conn.execute(update(profiles).where(profiles.c.user_id == user_id).values(updated_at=now))


# ---- the owner's feed ----------------------------------------------------------------------

# A profile is published as its owner sees it (profile_view reads the portfolio too).
register(
    Kind.PROFILE,
    view=dict,
    audience=lambda view, _: (view["user_id"],),
    key=lambda view: str(view["user_id"]),
)


def record_profile(conn: Connection, user_id: str, *, now: datetime) -> dict[str, Any]:
    """The owner's profile as they see it, published to them; returned."""
    view = profile_view(conn, user_id, viewer_id=user_id, now=now)
    publish(conn, Kind.PROFILE, view, now=now)
    return view


def republish_profile(conn: Connection, user_id: str, *, now: datetime) -> None:
    """`record_profile` after someone else's write changed it (a rating, a completion):
    nothing for a closed account, which keeps its records but has no profile."""
    try:
        record_profile(conn, user_id, now=now)
    except NotFound:
        return


def retract_profile(conn: Connection, user_id: str, *, now: datetime) -> None:
    """Tell the owner's replicas the profile is gone (the account is closed)."""
    publish_deletion(conn, Kind.PROFILE, user_id, audience=(user_id,), now=now)


# ---- field checks (the API validates too; these guard every other caller) -----------------


def _text(value: Any, field: str, least: int, most: int) -> str:
    if not isinstance(value, str) or not least <= len(value.strip()) <= most:
        raise InvalidInput(f"{field}: must be text of {least} to {most} characters", field=field)
    return value.strip()


def _optional_text(field: str, most: int) -> Any:
    def check(value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _text(value, field, 1, most)

    return check


def _skills(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_SKILLS:
        raise InvalidInput(f"skills: a list of at most {MAX_SKILLS}", field="skills")
    cleaned = [_text(skill, "skills", 1, MAX_SKILL_LENGTH) for skill in value]
    return list(dict.fromkeys(cleaned))  # without duplicates, in the owner's order


def _coordinate(field: str, bound: float) -> Any:
    def check(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{field}: must be a number", field=field)
        if not -bound <= value <= bound:
            raise InvalidInput(f"{field}: must be between -{bound:g} and {bound:g}", field=field)
        return float(value)

    return check


def _rate(value: Any) -> int | None:
    return None if value is None else check_fen(value, field="hourly_rate_fen")


def _url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    url = _text(value, "url", 1, MAX_URL)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput("url: must be an http(s) address", field="url")
    return url


_CHECKS = {
    "skills": _skills,
    "bio": lambda value: _text(value, "bio", 0, MAX_BIO),
    "city": _optional_text("city", MAX_CITY),
    "lat": _coordinate("lat", 90),
    "lon": _coordinate("lon", 180),
    "hourly_rate_fen": _rate,
}
