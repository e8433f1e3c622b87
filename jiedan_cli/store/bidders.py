"""The bids on a client's order in the order the client reads them: higher tiers first
(domain/tiers.by_tier_priority), each with the bidder's tier as their public profile last
fetched gives it (store/profile_cache.py), None while it is not here.
Cold read path: the standard library only."""

from __future__ import annotations

import sqlite3
from typing import Any

from jiedan_cli.domain.tiers import by_tier_priority, tier_label
from jiedan_cli.store.queries import get_profile


def with_bidder_tiers(conn: sqlite3.Connection, bids: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`bids` sorted higher tiers first, each with `freelancer_tier` and `freelancer_tier_label`
    (None when the replica has no profile of the bidder)."""
    tiers: dict[str, str | None] = {}
    for user_id in {str(bid.get("freelancer_id") or "") for bid in bids}:
        tier = (get_profile(conn, user_id) or {}).get("tier") if user_id else None
        tiers[user_id] = tier if isinstance(tier, str) else None
    shown = []
    for bid in bids:
        tier = tiers.get(str(bid.get("freelancer_id") or ""))
        label = tier_label(tier) if tier else None
        shown.append({**bid, "freelancer_tier": tier, "freelancer_tier_label": label})
    return by_tier_priority(shown, lambda bid: bid["freelancer_tier"])
