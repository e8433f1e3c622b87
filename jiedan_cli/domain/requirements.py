"""Requirement structuring (需求结构化, the seed 5.1): a request in free text → a draft order —
title, category, tags, budget range, deadline, style keywords — and the questions a freelancer
would ask about what the text leaves out.

Rules and dictionaries only, shipped with the package (`requirements.json`: words → category,
tag, style; the questions and when each is asked); budgets are read by `amount_words`, dates
by `date_words` against the `today` the caller passes. No model, no network: the same draft
offline as online, on the command line (`client post --from-text`) and in the dashboard.
A draft is a proposal shown for confirmation, never posted as it stands."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from jiedan_cli.domain.amount_words import CLAUSES, parse_budget
from jiedan_cli.domain.date_words import parse_deadline

TITLE_MAX = 30  # characters of a drafted title: a line on the board
# What a request's first clause opens with that a title does without: "我想要一个…", "急需…".
_OPENING = re.compile(
    r"^(?:你好|您好|hi|hello)?[，,！!\s]*"
    r"(?:我们|我|本人|公司|家里|孩子)?(?:这边)?"
    r"(?:急需|急求|想要|想找|想请|需要|想|要|求|找人|找个人|找|请人|请|帮忙|帮我|麻烦)*"
    r"(?:(?:做|弄|搞|写|设计|画)(?=一|个))?"
    r"(?:一个|一份|一套|一位|一名|一篇|一下|个|位|份)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Question:
    id: str
    ask: str


@dataclass(frozen=True)
class Draft:
    """A proposed order; `budget_*` and `deadline` are None where the text names none."""

    title: str
    description: str
    category: str
    tags: list[str]
    budget_min_fen: int | None
    budget_max_fen: int | None
    deadline: date | None
    styles: list[str]
    questions: list[Question] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "tags": list(self.tags),
            "budget_min_fen": self.budget_min_fen,
            "budget_max_fen": self.budget_max_fen,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "styles": list(self.styles),
            "questions": [q.ask for q in self.questions],
        }


@cache
def dictionaries() -> dict[str, Any]:
    """The shipped dictionaries (read once a process)."""
    text = resources.files(__package__ or "jiedan_cli.domain").joinpath("requirements.json")
    found: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return found


def _normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _find(plain: str, word: str) -> int:
    """Where `word` first occurs in the normalised `plain`, -1 if nowhere; a Latin word only
    as a whole word ("app" not in "apple", "ui" not in "build")."""
    word = _normalised(word)
    if not word.isascii() or not word.isalnum():
        return plain.find(word)
    found = re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", plain)
    return found.start() if found else -1


def _positions(plain: str, words: list[str]) -> list[int]:
    return [at for at in (_find(plain, w) for w in words) if at >= 0]


def guess_category(text: str) -> str:
    """The category whose words weigh most in `text`; 'other' when none is found (a tie goes
    to the category listed first)."""
    plain = _normalised(text)
    best, best_weight = "other", 0
    for category, words in dictionaries()["categories"].items():
        weight = sum(w for word, w in words.items() if _find(plain, word) >= 0)
        if weight > best_weight:
            best, best_weight = category, weight
    return best


def find_tags(text: str) -> list[str]:
    """The tags whose words occur in `text`, in the order they first occur."""
    return _in_text_order(text, dictionaries()["tags"])


def find_styles(text: str) -> list[str]:
    return _in_text_order(text, dictionaries()["styles"])


def _in_text_order(text: str, table: dict[str, list[str]]) -> list[str]:
    plain = _normalised(text)
    found = [(min(at), name) for name, words in table.items() if (at := _positions(plain, words))]
    return [name for _, name in sorted(found)]


def draft_title(text: str, category: str) -> str:
    """The first clause without its polite opening, cut to TITLE_MAX characters."""
    from jiedan_cli.domain.categories import label_for

    for clause in CLAUSES.split(text.strip()):
        title = _OPENING.sub("", clause.strip()).strip()
        if title:
            return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"
    return f"{label_for(category)}需求"


def _asked(rule: dict[str, Any], text: str, found: dict[str, Any]) -> bool:
    if "category" in rule and found["category"] not in rule["category"].split("|"):
        return False
    if found["category"] in rule.get("except", "").split("|"):
        return False
    if "tag" in rule and not set(rule["tag"].split("|")) & set(found["tags"]):
        return False
    when = rule.get("when")
    if when == "no_budget" and found["budget"] is not None:
        return False
    if when == "no_deadline" and found["deadline"] is not None:
        return False
    if when == "no_style" and found["styles"]:
        return False
    unless = rule.get("unless")
    return not (unless and re.search(unless, _normalised(text)))


def questions_for(text: str, found: dict[str, Any]) -> list[Question]:
    """What a freelancer would ask about what `text` leaves out, in the dictionary's order."""
    return [
        Question(rule["id"], rule["ask"])
        for rule in dictionaries()["questions"]
        if _asked(rule, text, found)
    ]


def structure(text: str, *, today: date) -> Draft:
    """The draft order `text` describes, dates read against `today`."""
    text = text.strip()
    category = guess_category(text)
    budget = parse_budget(text)
    found: dict[str, Any] = {
        "category": category,
        "tags": find_tags(text),
        "budget": budget,
        "deadline": parse_deadline(text, today=today),
        "styles": find_styles(text),
    }
    return Draft(
        title=draft_title(text, category),
        description=text,
        category=category,
        tags=found["tags"],
        budget_min_fen=budget[0] if budget else None,
        budget_max_fen=budget[1] if budget else None,
        deadline=found["deadline"],
        styles=found["styles"],
        questions=questions_for(text, found),
    )
