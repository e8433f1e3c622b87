"""Dispute-risk warnings (纠纷预警): each fires, with its reason, and just short of its edge
does not; a fact not known keeps its rule silent. Never a refusal: they are only words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from jiedan_cli.domain import dispute_warnings as rules
from jiedan_cli.domain.dispute_warnings import Freelancer, Typical

CLEAR = "企业官网首页改版，含设计稿和前端页面，五个页面，响应式"
MEDIAN = Typical(300_000, "the median of 6 accepted bids on 开发 orders")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def codes(found: list[rules.DisputeWarning]) -> list[str]:
    return [warning.code for warning in found]


def posting(**overrides: object) -> list[str]:
    terms: dict[str, object] = {
        "description": CLEAR,
        "budget_max_fen": 150_000,
        "deadline": date(2026, 12, 31),
        "category_median": MEDIAN,
        **overrides,
    }
    return codes(rules.at_posting(**terms))  # type: ignore[arg-type]


def test_a_clear_order_at_the_market_with_a_deadline_gets_no_warning() -> None:
    assert posting() == []


def test_a_vague_description_is_warned() -> None:
    assert posting(description="做个网站") == ["vague_description"]
    assert posting(description="做个网站，要好看，越快越好！！！") == ["vague_description"]
    assert posting(description="做个企业网站，要好看，首页加三个内页") == []  # 16 characters
    [warning] = rules.at_posting(
        description="", budget_max_fen=150_000, deadline=date(2026, 12, 31), category_median=None
    )
    assert "says little (0 characters)" in warning.reason


def test_a_budget_under_half_the_median_is_warned() -> None:
    assert posting(budget_max_fen=149_999) == ["budget_far_below_median"]
    assert posting(budget_max_fen=150_000) == []
    assert posting(budget_max_fen=1_000, category_median=None) == []  # no median known
    [warning] = rules.at_posting(
        description=CLEAR,
        budget_max_fen=50_000,
        deadline=date(2026, 12, 31),
        category_median=MEDIAN,
    )
    assert "¥500.00" in warning.reason and "6 accepted bids" in warning.reason


def test_no_deadline_is_warned() -> None:
    assert posting(deadline=None) == ["no_deadline"]


def bidding(**overrides: object) -> list[str]:
    terms: dict[str, object] = {
        "amount_fen": 100_000,
        "days": 7,
        "budget_min_fen": 200_000,
        "typical_days": Typical(14, "a typical 开发 order"),
        **overrides,
    }
    return codes(rules.at_bidding(**terms))  # type: ignore[arg-type]


def test_too_few_days_for_similar_orders_is_warned() -> None:
    assert bidding() == []
    assert bidding(days=6) == ["days_too_few"]
    assert bidding(days=1, typical_days=None) == []
    [warning] = rules.at_bidding(
        amount_fen=200_000, days=2, budget_min_fen=None, typical_days=Typical(14, "x")
    )
    assert warning.reason.startswith("2 days is under half x (14 days)")


def test_an_amount_far_below_the_budget_is_warned() -> None:
    assert bidding(amount_fen=99_999) == ["amount_far_below_budget"]
    assert bidding(amount_fen=99_999, budget_min_fen=None) == []
    assert bidding(amount_fen=1_000, days=1) == ["days_too_few", "amount_far_below_budget"]


def award(amount_fen: int = 300_000, **facts: object) -> list[str]:
    known: dict[str, object] = {
        "name": "张伟",
        "dispute_count": 0,
        "verified": False,
        "joined_at": NOW - timedelta(days=400),
        **facts,
    }
    return codes(
        rules.at_award(freelancer=Freelancer(**known), amount_fen=amount_fen, now=NOW)  # type: ignore[arg-type]
    )


def test_a_freelancer_with_disputes_is_warned() -> None:
    assert award() == []
    assert award(dispute_count=2) == ["freelancer_has_disputes"]
    assert award(dispute_count=None) == []  # an older server's profile: not known
    [warning] = rules.at_award(
        freelancer=Freelancer("张伟", 1, True, None), amount_fen=100, now=NOW
    )
    assert warning.reason == "张伟 has had 1 dispute(s) on orders they were awarded"


def test_a_new_unverified_account_for_a_large_order_is_warned() -> None:
    young = NOW - timedelta(days=29)
    assert award(joined_at=young) == ["new_unverified_large_order"]
    assert award(joined_at=NOW - timedelta(days=30)) == []  # 30 days: no longer new
    assert award(joined_at=young, verified=True) == []
    assert award(joined_at=young, verified=None) == []  # not known
    assert award(199_999, joined_at=young) == []  # under ¥2,000
    assert award(200_000, joined_at=young) == ["new_unverified_large_order"]
    assert rules.at_award(freelancer=None, amount_fen=10**9, now=NOW) == []
