"""The campaigns (积分翻倍, 周末特惠, 节日专场) as last pulled (the `campaign` change, kept in
extra_entities), for `jiedan points campaigns` and the dashboard's Points section: the ones
running or still to come, each with what it gives and its urgency ("ends in 3 h"), read
offline from the replica."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from jiedan_cli.domain.campaigns import Campaign, CampaignKind, describe, urgency
from jiedan_cli.domain.timefmt import parse_rfc3339


def current_campaigns(
    conn: sqlite3.Connection, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Campaigns not yet over at `now`: the running ones first (the soonest to end first),
    then those to come (the soonest to start first). Each is the pulled object plus
    `running`, `offer` ("points ×2") and `urgency` ("ends in 3 h", "starts in 2 days")."""
    now = now or datetime.now(UTC)
    rows = conn.execute("SELECT data FROM extra_entities WHERE entity = 'campaign'").fetchall()
    shown: list[tuple[tuple[bool, datetime], dict[str, Any]]] = []
    for (data,) in rows:
        item = dict(json.loads(data))
        campaign = _campaign(item)
        if now >= campaign.ends_at:
            continue
        running = campaign.running(now)
        item |= {
            "running": running,
            "offer": describe(campaign),
            "urgency": urgency(campaign, now),
        }
        key = (not running, campaign.ends_at if running else campaign.starts_at)
        shown.append((key, item))
    return [item for _key, item in sorted(shown, key=lambda pair: pair[0])]


def _campaign(item: dict[str, Any]) -> Campaign:
    return Campaign(
        str(item["id"]),
        str(item["name"]),
        CampaignKind(item["kind"]),
        int(item["multiplier"]),
        int(item["discount_bp"]),
        item.get("category"),
        parse_rfc3339(item["starts_at"]),
        parse_rfc3339(item["ends_at"]),
    )
