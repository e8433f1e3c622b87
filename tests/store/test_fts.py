from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiedan_cli.store import fts
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.store.fts import index_text, index_tokens
from jiedan_cli.store.queries import SEARCH_CANDIDATES, search_orders
from jiedan_cli.store.search_plan import fts_expression, plan_matches, plan_query
from tests.store.factories import order, page, put

# ---- the splitter, without a database -------------------------------------------------


def test_cjk_runs_become_bigrams_then_their_last_character() -> None:
    assert index_tokens("企业官网") == ["企业", "业官", "官网", "网"]
    assert index_tokens("网") == ["网"]


def test_latin_words_are_case_folded_words_beside_cjk() -> None:
    assert index_tokens("LOGO设计") == ["logo", "设计", "计"]
    assert index_tokens("Python 爬虫, Web-App") == ["python", "爬虫", "虫", "web", "app"]


def test_full_width_forms_and_diacritics_are_normalised() -> None:
    assert index_tokens("Ｌｏｇｏ ３Ｄ café") == ["logo", "3d", "cafe"]


def test_punctuation_splits_cjk_runs() -> None:
    assert index_tokens("网站，设计") == ["网站", "站", "设计", "计"]
    assert index_tokens("カタカナ・テスト")[:4] == ["カタ", "タカ", "カナ", "ナ"]


# index_text's fast path must give exactly the tokens of the general one (index_tokens):
# the index is corrected by replaying them, so a difference would need a rebuild.
FAST = fts.fast_patterns()[0]
FAST_PUNCTUATION = [chr(c) for c in range(0x80, 0x10000) if FAST.fullmatch(chr(c))]
FAST_PUNCTUATION = [c for c in FAST_PUNCTUATION if not "\u3400" <= c <= "\u9fff"]


def test_fast_path_punctuation_normalises_to_separators_only() -> None:
    import re
    import unicodedata

    token_char = re.compile(f"[{fts._CJK}]|[^\\W_]")
    assert "，" in FAST_PUNCTUATION and "（" in FAST_PUNCTUATION
    for char in FAST_PUNCTUATION:
        assert not token_char.search(unicodedata.normalize("NFKC", char)), hex(ord(char))
        assert not token_char.match(char) and char.casefold() == char, hex(ord(char))
        assert unicodedata.combining(char) == 0, hex(ord(char))


def test_fast_path_ideographs_are_stable_under_nfkc_and_casefold() -> None:
    import unicodedata

    for code in [*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000)]:
        char = chr(code)
        assert unicodedata.normalize("NFKC", char) == char == char.casefold(), hex(code)
        assert index_tokens(char) == [fts.fold(char)]


MIXED = "网站建设计小程序官企业網設計體們 logoAPP3dé_-\u0301Ｌ３㎡①ｶﾞ々〇カナ가" + "".join(
    FAST_PUNCTUATION[::7]
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=MIXED, max_size=40) | st.text(max_size=20))
def test_index_text_is_index_tokens_joined(text: str) -> None:
    assert index_text(text) == " ".join(index_tokens(text))


def test_index_text_folds_every_traditional_character_it_knows() -> None:
    """index_text skips the fold when its quick search finds no traditional character: the
    search must know every character the table folds."""
    for code in fts._t2s():
        assert index_text(chr(code) + "站") == " ".join(index_tokens(chr(code) + "站")), hex(code)


def _expression(query: str, *, prefix: bool = False) -> str:
    return fts_expression(plan_query(query, prefix=prefix))


def test_queries_become_quoted_terms_and_bigram_phrases() -> None:
    assert _expression("程序员") == '"程序 序员"'
    assert _expression("设") == '"设"*'
    assert _expression("python 爬取") == '"python" AND "爬取"'
    assert _expression("pyth", prefix=True) == '"pyth"*'


@pytest.mark.parametrize("query", ["", "   ", "，。！", '"', "*", "-", "()"])
def test_a_query_without_letters_searches_for_nothing(query: str) -> None:
    assert plan_query(query) == []


def test_fts5_syntax_in_a_query_is_only_text() -> None:
    assert _expression('python OR "x" NEAR(a b) -c*') == (
        '"python" AND "or" AND "x" AND "near" AND "a" AND "b" AND "c"'
    )


def matches(query: str, text: str, *, prefix: bool = False) -> bool:
    return plan_matches(plan_query(query, prefix=prefix), text)


# ---- through the index -------------------------------------------------------------------

TITLES = {
    "o-site": "企业官网网站建设",
    "o-logo": "LOGO设计",
    "o-mini": "微信小程序开发",
    "o-prog": "程序员招聘",
    "o-net": "网络站点维护",
    "o-py": "Python 数据分析",
}


@pytest.fixture
def indexed(store: sqlite3.Connection) -> sqlite3.Connection:
    apply_page(store, page(*(put("order", order(i, t)) for i, t in TITLES.items())))
    return store


def _found(conn: sqlite3.Connection, query: str) -> set[str]:
    return {o["id"] for o in search_orders(conn, query, status="all")}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("网站", {"o-site"}),
        ("官网", {"o-site"}),
        ("网站建设", {"o-site"}),
        ("logo", {"o-logo"}),
        ("Logo 设计", {"o-logo"}),
        ("小程序", {"o-mini"}),
        ("程序", {"o-mini", "o-prog"}),
        ("网", {"o-site", "o-net"}),
        ("设", {"o-site", "o-logo"}),  # last character of a run, and inside one
        ("python", {"o-py"}),
        ("pyth", set()),  # words are whole words
        ("建站", {"o-site"}),  # a synonym of 网站 (store/synonyms.json)
        ("设网", set()),  # not adjacent anywhere
        ("网站 logo", set()),  # every term is required
    ],
)
def test_search_finds_chinese_and_english(
    indexed: sqlite3.Connection, query: str, expected: set[str]
) -> None:
    assert _found(indexed, query) == expected


def test_a_three_character_query_keeps_its_characters_adjacent(
    indexed: sqlite3.Connection,
) -> None:
    assert _found(indexed, "小程序") == {"o-mini"}  # not 程序员招聘
    assert _found(indexed, "网站") == {"o-site"}  # not 网络站点


def test_description_tags_and_category_are_searched_too(store: sqlite3.Connection) -> None:
    store_order = order("o-1", "帮忙", description="需要做一个电商网站", tags=["Vue"])
    apply_page(store, page(put("order", store_order)))
    assert _found(store, "电商") == {"o-1"}
    assert _found(store, "vue") == {"o-1"}
    assert _found(store, "web") == {"o-1"}  # the category


def test_title_matches_rank_above_description_matches(store: sqlite3.Connection) -> None:
    apply_page(
        store,
        page(
            put("order", order("old-title", "网站", created_at=_t(1))),
            put("order", order("old-body", "帮忙", description="网站", created_at=_t(2))),
            put("order", order("new-title", "做网站", created_at=_t(3))),
            put("order", order("new-body", "急", description="网站 logo", created_at=_t(4))),
        ),
    )
    found = search_orders(store, "网站")
    assert {o["id"] for o in found[:2]} == {"new-title", "old-title"}
    assert {o["id"] for o in found[2:]} == {"new-body", "old-body"}
    assert [o["score"] for o in found] == sorted((o["score"] for o in found), reverse=True)
    assert all(o["matched"] == ["网站"] for o in found)
    assert [o["id"] for o in search_orders(store, "网站", limit=3)] == [o["id"] for o in found[:3]]


def test_equal_scores_are_newest_first(store: sqlite3.Connection) -> None:
    apply_page(
        store, page(*(put("order", order(f"o{n}", "网站", created_at=_t(n))) for n in range(3)))
    )
    assert [o["id"] for o in search_orders(store, "网站")] == ["o2", "o1", "o0"]


def test_search_ranks_only_the_newest_matches_walked_without_sorting(
    store: sqlite3.Connection,
) -> None:
    statements: list[str] = []
    store.set_trace_callback(statements.append)
    search_orders(store, "网站")
    store.set_trace_callback(None)
    (sql,) = [s for s in statements if "MATCH" in s]
    assert f"LIMIT {SEARCH_CANDIDATES})" in sql
    plan = {r["id"]: r for r in store.execute("EXPLAIN QUERY PLAN " + sql)}
    sorts = [r for r in plan.values() if "TEMP B-TREE" in r["detail"]]
    # One sort, of the capped candidates (the outer query); the index walk itself sorts nothing.
    assert len(sorts) == 1 and sorts[0]["parent"] == 0


def _t(second: int) -> str:
    return f"2026-03-01T00:00:{second:02d}Z"


# ---- the pure matcher and the index agree ----------------------------------------------

ALPHABET = "网站建设计小程序开发官企业"
texts = st.lists(
    st.text(alphabet=ALPHABET + " logoAPP", min_size=1, max_size=12), min_size=1, max_size=8
)
queries = st.text(alphabet=ALPHABET + " logoAPP", min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(texts=texts, query=queries, prefix=st.booleans())
def test_the_index_finds_exactly_what_the_pure_matcher_accepts(
    texts: list[str], query: str, prefix: bool
) -> None:
    conn = open_db(":memory:")
    changes = [put("order", order(f"o{i}", text)) for i, text in enumerate(texts)]
    apply_page(conn, page(*changes))
    expected = {f"o{i}" for i, text in enumerate(texts) if matches(query, text, prefix=prefix)}
    found = {o["id"] for o in search_orders(conn, query, status="all", prefix=prefix)}
    assert found == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("py", {"o-py"}),  # the word being typed is the start of one
        ("pyth", {"o-py"}),
        ("python", {"o-py"}),
        ("py ", set()),  # a space ends the word: whole words again
        ("设计 lo", {"o-logo"}),
        ("lo 设计", set()),  # only the last word may be unfinished
    ],
)
def test_search_as_you_type_takes_the_last_word_as_a_prefix(
    indexed: sqlite3.Connection, query: str, expected: set[str]
) -> None:
    assert {o["id"] for o in search_orders(indexed, query, status="all", prefix=True)} == expected


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=ALPHABET, min_size=1, max_size=20), data=st.data())
def test_every_substring_of_chinese_text_finds_it(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assert matches(text[start:end], text)
