"""What a search query asks for, understood (`orders search`, the dashboard's search box,
saved searches): a plan of groups, every group required, any alternative of a group enough.

- Normalised as the index is (store/fts.py): case, full-width forms, traditional characters.
- Filler words of a request are dropped (需要做个企业网站 → 企业网站), unless nothing is left.
- A CJK run is cut into the longest words of the synonym dictionary (synonyms.json) and the
  characters between them; a dictionary word stands for its whole group (企业网站 → 网站建设,
  官网, 建站 …), the characters between stay one phrase each, adjacency kept.
- A Latin word of the dictionary stands for its group (logo → 标志, 商标设计); any other may
  come with spelling corrections the caller found in the replica's words (store/typos.py).
- The last word of a query still being typed (`prefix`) is a prefix, and nothing more.

One plan gives both the FTS5 expression and the same test over a text without an index (for
orders only the outbox holds), so the two cannot disagree. Only letters, digits and CJK reach
the quotes of the expression: user input never becomes FTS5 syntax. Pure, no I/O but reading
the shipped dictionaries once.
"""

from __future__ import annotations

import json
import os
from functools import cache

from jiedan_cli.store.fts import _runs

TYPE_CHECKING = False  # not `from typing import …`: the cold search path (performance.md P2)

if TYPE_CHECKING:
    from collections.abc import Callable

# A term: ("word", w) a whole Latin word · ("prefix", w) a word's start · ("phrase", 小程序)
# adjacent CJK characters · ("char", 网) one CJK character, wherever it stands in a run.
Term = tuple[str, str]
Alternative = tuple[str, tuple[Term, ...]]  # (the word as shown in `matched`, its terms ANDed)
Group = tuple[Alternative, ...]  # any one alternative is enough
Plan = list[Group]  # every group is required


@cache
def _dictionary() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...], int]:
    """(word → its group's words, filler words longest first, the longest CJK word's length)."""
    here = os.path.dirname(__file__)
    with open(os.path.join(here, "synonyms.json"), encoding="utf-8") as source:
        data = json.load(source)
    groups = [list(group) for group in data["groups"]]
    with open(os.path.join(here, "..", "domain", "requirements.json"), encoding="utf-8") as source:
        tags = json.load(source)["tags"]
    groups += [[tag, *tags[tag]] for tag in data["from_requirements"]]
    index: dict[str, tuple[str, ...]] = {}
    for group in groups:
        words = tuple(dict.fromkeys(_key(word) for word in group))
        for word in words:
            index.setdefault(word, words)
    fillers = tuple(sorted((_key(w) for w in data["filler"]), key=len, reverse=True))
    longest = max(len(word) for word in index)
    return index, fillers, longest


def _key(word: str) -> str:
    """A dictionary word as a query reads it (normalised, runs joined)."""
    return "".join(run for _cjk, run in _runs(word))


def _terms(word: str) -> tuple[Term, ...]:
    return tuple(
        ("phrase" if len(run) > 1 else "char", run) if cjk else ("word", run)
        for cjk, run in _runs(word)
    )


def _implies(term: Term, other: Term) -> bool:
    """Whether a text with `term` surely has `other` too."""
    kind, text = term
    if other[0] == "word":
        return kind == "word" and text == other[1]
    if other[0] in ("phrase", "char"):
        return kind in ("phrase", "char") and other[1] in text
    return kind in ("word", "prefix") and text.startswith(other[1])


def _group(words: tuple[str, ...], typed: str = "") -> Group:
    """The alternatives of `words`, less those another alternative already finds (网站建设
    when 网站 is there): they would only slow the query down. The word as `typed` stays, to
    rank an order that has it above one with only a synonym (bm25 counts it once more)."""
    alternatives = [(word, _terms(word)) for word in dict.fromkeys((typed, *words)) if word]
    alternatives = [(word, terms) for word, terms in alternatives if terms]
    kept = []
    for word, terms in alternatives:
        wider = word != typed and any(
            other != word and all(any(_implies(t, o) for t in terms) for o in others)
            for other, others in alternatives
        )
        if not wider:
            kept.append((word, terms))
    return tuple(kept)


def _without_fillers(run: str, fillers: tuple[str, ...]) -> list[str]:
    pieces = [run]
    for filler in fillers:
        pieces = [part for piece in pieces for part in piece.split(filler) if part]
    return pieces


def _segments(run: str, index: dict[str, tuple[str, ...]], longest: int) -> list[Group]:
    """A CJK run as groups: dictionary words (leftmost longest) and the phrases between."""
    groups: list[Group] = []
    pending = ""
    at = 0
    while at < len(run):
        found = next(
            (
                run[at : at + size]
                for size in range(min(longest, len(run) - at), 1, -1)
                if run[at : at + size] in index
            ),
            None,
        )
        if found is None:
            pending += run[at]
            at += 1
            continue
        if pending:
            groups.append(((pending, _terms(pending)),))
            pending = ""
        groups.append(_group(index[found], found))
        at += len(found)
    if pending:
        groups.append(((pending, _terms(pending)),))
    return groups


def plan_query(
    query: str, *, prefix: bool = False, correct: Callable[[str], list[str]] | None = None
) -> Plan:
    """The plan for `query`; empty when it has no letter, digit or CJK character. `correct`
    gives known words close to a Latin word the replica does not hold (a typo)."""
    index, fillers, longest = _dictionary()
    runs = _runs(query)
    cjk_pieces = {n: _without_fillers(run, fillers) for n, (cjk, run) in enumerate(runs) if cjk}
    if not any(cjk_pieces.values()) and all(cjk for cjk, _run in runs):
        cjk_pieces = {n: [run] for n, (_cjk, run) in enumerate(runs)}  # only filler: keep it
    plan: Plan = []
    for n, (cjk, run) in enumerate(runs):
        if cjk:
            for piece in cjk_pieces[n]:
                plan += _segments(piece, index, longest)
        elif prefix and n == len(runs) - 1 and not query[-1:].isspace():
            plan.append(((run, (("prefix", run),)),))  # still being typed
        elif run in index:
            plan.append(_group(index[run], run))
        else:  # a correction stands for its synonyms too (logoo → logo → 标志 …)
            near = correct(run) if correct is not None else []
            plan.append(_group(tuple(w for c in near for w in index.get(c, (c,))), run))
    return list(dict.fromkeys(plan))


def _fts_term(term: Term) -> str:
    kind, text = term
    if kind == "word":
        return f'"{text}"'
    if kind == "phrase":
        return '"' + " ".join(text[i : i + 2] for i in range(len(text) - 1)) + '"'
    return f'"{text}"*'  # a word's start, or a character starting a bigram or ending a run


def fts_expression(plan: Plan) -> str:
    """The FTS5 MATCH expression of a plan (see store/fts.py for how text is indexed)."""

    def alternative(terms: tuple[Term, ...]) -> str:
        inner = " AND ".join(_fts_term(term) for term in terms)
        return f"({inner})" if len(terms) > 1 else inner

    def group(alternatives: Group) -> str:
        inner = " OR ".join(alternative(terms) for _word, terms in alternatives)
        return f"({inner})" if len(alternatives) > 1 else inner

    return " AND ".join(group(alternatives) for alternatives in plan)


def _has(term: Term, words: set[str], cjk_runs: list[str]) -> bool:
    kind, text = term
    if kind == "word":
        return text in words
    if kind == "prefix":
        return any(word.startswith(text) for word in words)
    return any(text in run for run in cjk_runs)


def _parts(text: str) -> tuple[set[str], list[str]]:
    runs = _runs(text)
    return {run for cjk, run in runs if not cjk}, [run for cjk, run in runs if cjk]


def plan_matches(plan: Plan, text: str) -> bool:
    """Whether the index would find `text` for `plan` (the same rules, without an index)."""
    words, cjk_runs = _parts(text)
    return bool(plan) and all(
        any(all(_has(term, words, cjk_runs) for term in terms) for _word, terms in group)
        for group in plan
    )


def matched_words(plan: Plan, text: str) -> list[str]:
    """The words of the plan (with their synonyms and corrections) that `text` holds."""
    words, cjk_runs = _parts(text)
    found = [
        word
        for group in plan
        for word, terms in group
        if all(_has(term, words, cjk_runs) for term in terms)
    ]
    return list(dict.fromkeys(found))
