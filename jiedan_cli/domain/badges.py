"""Badges on a profile (徽章), a perk of the higher tiers: "金牌译员" is a 金牌 (or better)
member, on the platform for at least BADGE_YEARS, rated well in translation. One badge per
category that earns it; none below 金牌, none for "other". Pure: the server computes it for
the profile it shows, from the tier, the join date and the ratings by category."""

from __future__ import annotations

from datetime import datetime, timedelta

from jiedan_cli.domain.tiers import Tier, tier_label, tier_rank

BADGE_LEAST_TIER = Tier.GOLD
BADGE_YEARS = 1  # on the platform at least this long
BADGE_AVERAGE, BADGE_REVIEWS = 4.5, 3  # average stars, and reviews in the category

# What a person who works in the category is called.
WORKER_NOUNS: dict[str, str] = {
    "design": "设计师",
    "development": "开发者",
    "writing": "写手",
    "translation": "译员",
    "consulting": "顾问",
    "tutoring": "家教",
    "housekeeping": "家政师",
    "repair": "维修师",
}


def badges_for(
    tier: Tier | str,
    joined_at: datetime,
    ratings: dict[str, tuple[float, int]],
    *,
    now: datetime,
) -> list[str]:
    """The badges earned, in WORKER_NOUNS' order: `ratings` is category → (average stars,
    number of reviews) of the work this person did."""
    if tier_rank(tier) < tier_rank(BADGE_LEAST_TIER):
        return []
    if now - joined_at < timedelta(days=365 * BADGE_YEARS):
        return []
    label = tier_label(tier)
    return [
        f"{label}{noun}"
        for category, noun in WORKER_NOUNS.items()
        if _rated_well(ratings.get(category))
    ]


def _rated_well(rating: tuple[float, int] | None) -> bool:
    return rating is not None and rating[1] >= BADGE_REVIEWS and rating[0] >= BADGE_AVERAGE
