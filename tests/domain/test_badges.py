"""Badges (domain/badges.py): 金牌 or better, a year on the platform, rated well in the
category — each condition at its edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jiedan_cli.domain.badges import BADGE_AVERAGE, BADGE_REVIEWS, badges_for
from jiedan_cli.domain.tiers import Tier

NOW = datetime(2026, 12, 1, tzinfo=UTC)
A_YEAR_AGO = NOW - timedelta(days=365)
WELL = {"translation": (BADGE_AVERAGE, BADGE_REVIEWS)}


def test_a_gold_translator_of_a_year_with_good_ratings_is_a_金牌译员() -> None:
    assert badges_for(Tier.GOLD, A_YEAR_AGO, WELL, now=NOW) == ["金牌译员"]
    assert badges_for("diamond", A_YEAR_AGO, WELL, now=NOW) == ["钻石译员"]


def test_one_badge_per_category_rated_well_in_a_fixed_order() -> None:
    ratings = {**WELL, "design": (5.0, 10), "writing": (4.4, 10), "other": (5.0, 10)}
    assert badges_for(Tier.GOLD, A_YEAR_AGO, ratings, now=NOW) == ["金牌设计师", "金牌译员"]


def test_no_badge_below_gold_too_new_or_not_rated_enough() -> None:
    assert badges_for(Tier.SILVER, A_YEAR_AGO, WELL, now=NOW) == []
    assert badges_for(Tier.GOLD, A_YEAR_AGO + timedelta(seconds=1), WELL, now=NOW) == []
    fewer = {"translation": (5.0, BADGE_REVIEWS - 1)}
    assert badges_for(Tier.GOLD, A_YEAR_AGO, fewer, now=NOW) == []
    lower = {"translation": (BADGE_AVERAGE - 0.01, 50)}
    assert badges_for(Tier.GOLD, A_YEAR_AGO, lower, now=NOW) == []
