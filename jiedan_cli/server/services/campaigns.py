"""Campaigns (积分翻倍, 周末特惠, 节日专场, #13): admins make and end them; the fee policy
(settlement.fee_for) and points (points.earn_points) read the ones running at the moment of
the event; every replica gets them through the change log (public), so the command line and
the dashboard show them offline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from jiedan_cli.domain.campaigns import Campaign, CampaignKind, check_campaign
from jiedan_cli.domain.categories import check_category
from jiedan_cli.domain.errors import InvalidInput, NotFound
from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.engine import transaction_memo
from jiedan_cli.server.db.tables import campaigns
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.changes import PUBLIC, Kind, publish, register

ADMIN = "admin"


def campaign_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "multiplier": row.multiplier,
        "discount_bp": row.discount_bp,
        "category": row.category,
        "starts_at": rfc3339(row.starts_at),
        "ends_at": rfc3339(row.ends_at),
    }


def staff_view(row: Row[Any]) -> dict[str, Any]:
    return {
        **campaign_view(row),
        "created_by": row.created_by,
        "created_at": rfc3339(row.created_at),
        "ended_by": row.ended_by,
        "ended_at": rfc3339(row.ended_at),
    }


register(Kind.CAMPAIGN, view=campaign_view, audience=lambda _row, _context: PUBLIC)


def _campaign(row: Row[Any]) -> Campaign:
    return Campaign(
        row.id,
        row.name,
        CampaignKind(row.kind),
        row.multiplier,
        row.discount_bp,
        row.category,
        row.starts_at,
        row.ends_at,
    )


def running_campaigns(conn: Connection, now: datetime) -> list[Campaign]:
    """The campaigns whose window holds `now` (start inclusive, end exclusive); read once a
    write transaction (`transaction_memo`), which `create_campaign` forgets."""
    memo = transaction_memo(conn)
    key = f"running_campaigns {now.isoformat()}"
    if memo is not None and key in memo:
        return list(memo[key])
    c = campaigns.c
    rows = conn.execute(select(campaigns).where(c.ends_at > now, c.starts_at <= now)).all()
    running = [_campaign(row) for row in rows]
    if memo is not None:
        memo[key] = tuple(running)
    return running


def _forget_running(conn: Connection) -> None:
    """A campaign written: what `running_campaigns` kept for this transaction is stale."""
    memo = transaction_memo(conn)
    if memo is not None:
        for key in [k for k in memo if k.startswith("running_campaigns ")]:
            del memo[key]


def create_campaign(
    conn: Connection,
    actor: Actor,
    *,
    name: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    multiplier: int = 1,
    discount_bp: int = 0,
    category: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """A new campaign (admins only). It may start in the past no earlier than now: what was
    released or earned before it was made is not revisited."""
    actor.require(ADMIN)
    try:
        chosen = CampaignKind(kind)
    except ValueError:
        raise InvalidInput(
            f"kind: one of {', '.join(k.value for k in CampaignKind)}", field="kind"
        ) from None
    campaign = check_campaign(
        Campaign(
            new_id(),
            name.strip(),
            chosen,
            multiplier,
            discount_bp,
            check_category(category) if category else None,
            max(starts_at, now),
            ends_at,
        )
    )
    _forget_running(conn)
    conn.execute(
        campaigns.insert().values(
            id=campaign.id,
            name=campaign.name,
            kind=campaign.kind.value,
            multiplier=campaign.multiplier,
            discount_bp=campaign.discount_bp,
            category=campaign.category,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            created_by=actor.id,
            created_at=now,
        )
    )
    audit(conn, "campaign.created", now=now, actor_id=actor.id, target=campaign.id)
    return _publish(conn, campaign.id, now)


def end_campaign(
    conn: Connection, actor: Actor, campaign_id: str, *, now: datetime
) -> dict[str, Any]:
    """End a campaign now (admins only): its window closes at `now`; one not yet started never
    runs. Ending an ended campaign changes nothing and answers it."""
    actor.require(ADMIN)
    row = conn.execute(
        select(campaigns).where(campaigns.c.id == campaign_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no campaign {campaign_id}")
    if row.ends_at <= now:
        return staff_view(row)
    _forget_running(conn)
    conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id)
        .values(ends_at=max(now, row.starts_at), ended_at=now, ended_by=actor.id)
    )
    audit(conn, "campaign.ended", now=now, actor_id=actor.id, target=campaign_id)
    return _publish(conn, campaign_id, now)


def list_campaigns(conn: Connection, actor: Actor) -> list[dict[str, Any]]:
    """Every campaign, the latest to end first (admins only)."""
    actor.require(ADMIN)
    rows = conn.execute(
        select(campaigns).order_by(campaigns.c.ends_at.desc(), campaigns.c.id)
    ).all()
    return [staff_view(row) for row in rows]


def _publish(conn: Connection, campaign_id: str, now: datetime) -> dict[str, Any]:
    row = conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).one()
    publish(conn, Kind.CAMPAIGN, row, now=now)
    return staff_view(row)
