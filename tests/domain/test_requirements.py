"""Requirement structuring (需求结构化): each request of `requirement_drafts.json` gives its
expected draft — category, tags, budget, deadline, styles, the questions asked — and the
pieces (budget words, date words) on their own edges."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jiedan_cli.domain.amount_words import chinese_number, parse_budget
from jiedan_cli.domain.categories import CATEGORIES
from jiedan_cli.domain.date_words import parse_deadline
from jiedan_cli.domain.order_rules import check_tags, check_title
from jiedan_cli.domain.requirements import dictionaries, structure

FIXTURES = json.loads((Path(__file__).parent / "requirement_drafts.json").read_text("utf-8"))
CASES: list[dict[str, Any]] = FIXTURES["cases"]


def _yuan(budget: list[int] | None) -> tuple[int, int] | None:
    return None if budget is None else (budget[0] * 100, budget[1] * 100)


def test_the_fixtures_cover_every_category() -> None:
    assert len(CASES) >= 40
    assert {case["category"] for case in CASES} == set(CATEGORIES)


@pytest.mark.parametrize("case", CASES, ids=[case["text"][:12] for case in CASES])
def test_a_request_gives_its_expected_draft(case: dict[str, Any]) -> None:
    today = date.fromisoformat(case.get("today", FIXTURES["today"]))
    draft = structure(case["text"], today=today)
    got = draft.as_dict()
    assert got["category"] == case["category"]
    assert got["tags"] == case["tags"]
    assert (got["budget_min_fen"], got["budget_max_fen"]) == (_yuan(case["budget"]) or (None, None))
    assert got["deadline"] == case["deadline"]
    assert got["styles"] == case["styles"]
    assert [q.id for q in draft.questions] == case["asks"]
    assert got["questions"] == [q.ask for q in draft.questions]
    if "title" in case:
        assert got["title"] == case["title"]
    # whatever it drafts is a valid order's title, description and tags
    assert check_title(got["title"]) == got["title"]
    assert check_tags(got["tags"]) == got["tags"]
    assert got["description"] == case["text"]


def test_every_question_rule_is_asked_by_some_fixture() -> None:
    asked = {question for case in CASES for question in case["asks"]}
    never = {rule["id"] for rule in dictionaries()["questions"]} - asked
    assert not never, f"no fixture asks {sorted(never)}"


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("预算500", (50_000, 50_000)),
        ("500元左右", (40_000, 60_000)),
        ("预算1-2千", (100_000, 200_000)),
        ("两千以内", (100_000, 200_000)),
        ("¥3k", (300_000, 300_000)),
        ("3000-5000", (300_000, 500_000)),
        ("3k-5k", (300_000, 500_000)),
        ("预算一万五", (1_500_000, 1_500_000)),
        ("不超过2000元", (100_000, 200_000)),
        ("预算大概800", (64_000, 96_000)),
        ("5000以上", (500_000, 750_000)),
        ("预算99.5元", (9_950, 9_950)),
        ("翻译3千字，预算300", (30_000, 30_000)),
        ("月销5万左右，预算2000", (200_000, 200_000)),
        ("翻译3千字", None),
        ("一共5页左右", None),
        ("12月20日前", None),
        ("2-3个方案", None),
        ("3天以内", None),
        ("", None),
    ],
)
def test_budget_words(text: str, fen: tuple[int, int] | None) -> None:
    assert parse_budget(text) == fen


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("两千", 2000),
        ("一万五", 15000),
        ("三千五", 3500),
        ("十二", 12),
        ("五百", 500),
        ("一百二十", 120),
        ("1.5", 1.5),
    ],
)
def test_chinese_numbers(text: str, number: float) -> None:
    assert chinese_number(text) == pytest.approx(number)


WEDNESDAY = date(2025, 12, 10)


@pytest.mark.parametrize(
    ("text", "today", "deadline"),
    [
        ("下周五前", WEDNESDAY, date(2025, 12, 19)),
        ("下周五前", date(2025, 12, 14), date(2025, 12, 19)),  # on a Sunday: the Friday after
        ("周五", date(2025, 12, 12), date(2025, 12, 12)),  # today is Friday
        ("周三前", date(2025, 12, 11), date(2025, 12, 17)),  # passed this week: next one
        ("本周末", WEDNESDAY, date(2025, 12, 14)),
        ("下下周一", WEDNESDAY, date(2025, 12, 22)),
        ("月底", date(2026, 2, 3), date(2026, 2, 28)),
        ("下个月底", date(2026, 1, 31), date(2026, 2, 28)),
        ("三天内", WEDNESDAY, date(2025, 12, 13)),
        ("两周内", WEDNESDAY, date(2025, 12, 24)),
        ("一个月内", date(2026, 1, 31), date(2026, 2, 28)),
        ("3个工作日内", WEDNESDAY, date(2025, 12, 15)),
        ("12月20日前", date(2025, 12, 21), date(2026, 12, 20)),  # passed: next year's
        ("5号前", WEDNESDAY, date(2026, 1, 5)),
        ("2026-01-15", WEDNESDAY, date(2026, 1, 15)),
        ("明天", date(2025, 12, 31), date(2026, 1, 1)),
        ("2025-12-01", WEDNESDAY, None),  # before today: no deadline
        ("2月30日前", WEDNESDAY, None),  # no such day
        ("尽快", WEDNESDAY, None),
        ("每周三上课", WEDNESDAY, None),  # a routine, not a day
        ("一周三次", WEDNESDAY, None),
    ],
)
def test_date_words(text: str, today: date, deadline: date | None) -> None:
    assert parse_deadline(text, today=today) == deadline


def test_a_long_first_clause_is_cut_to_a_title() -> None:
    draft = structure("想要" + "很" * 60 + "好看的海报", today=WEDNESDAY)
    assert len(draft.title) == 30 and draft.title.endswith("…")


def test_a_text_of_punctuation_only_is_titled_by_its_category() -> None:
    assert structure("，。！", today=WEDNESDAY).title == "其他需求"
