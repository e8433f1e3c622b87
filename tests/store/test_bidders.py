"""A client's bids higher tiers first (store/bidders.py over domain/tiers.by_tier_priority),
with each bidder's tier from their profile as pulled or fetched (store/profile_cache.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from jiedan_cli.store import profile_cache
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.bidders import with_bidder_tiers
from jiedan_cli.store.queries import list_bids
from tests.store.factories import bid, order, page, put, stamp

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


def test_bids_of_higher_tiers_come_first_newest_first_within_a_tier(
    store: sqlite3.Connection,
) -> None:
    bidders = {"f-new": None, "f-reg": "regular", "f-gold": "gold", "f-silver": "silver"}
    for user_id, tier in bidders.items():
        if tier is not None:  # f-new's profile is not here yet
            profile = {"user_id": user_id, "name": user_id, "tier": tier}
            profile_cache.remember(store, profile, now=NOW)
    changes = [put("order", order("o1"))]
    for n, user_id in enumerate([*bidders, "f-gold2"]):
        changes.append(put("bid", bid(f"b-{user_id}", "o1", user_id, created_at=stamp(n))))
    profile_cache.remember(store, {"user_id": "f-gold2", "tier": "gold"}, now=NOW)
    apply_page(store, page(*changes))

    shown = with_bidder_tiers(store, list_bids(store, "o1"))

    assert [(b["freelancer_id"], b["freelancer_tier_label"]) for b in shown] == [
        ("f-gold2", "金牌"),  # the newer of the two 金牌 bids
        ("f-gold", "金牌"),
        ("f-silver", "银牌"),
        ("f-reg", "普通"),
        ("f-new", None),  # not known: ranks with 普通, after the newer 普通 bid
    ]
    assert shown[-1]["freelancer_tier"] is None
