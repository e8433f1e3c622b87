"""Full-text tokens that work for Chinese without a dictionary.

FTS5's unicode61 tokenizer cannot segment Chinese (a whole run of Han characters becomes one
token) and its trigram tokenizer matches no two-character query (网站, 官网). So we split the
text ourselves, before it reaches FTS5, into space-separated tokens that unicode61 passes
through unchanged:

- a run of CJK characters becomes its overlapping character bigrams, in order, followed by
  the run's last character alone (企业官网 → 企业 业官 官网 网). A query of two or more CJK
  characters is a *phrase* of its bigrams, so adjacency is kept: 小程序 → "小程 程序" matches
  微信小程序开发 but not 程序员. A one-character query c is the prefix query c*: every
  occurrence of c starts a bigram, or ends its run and so was indexed alone — one extra token
  per run instead of a unigram per character. (Queries: store/search_plan.py.)
- any other run of letters or digits is one word, case-folded (LOGO → logo).

Text is NFKC-normalised first, so full-width Ｌｏｇｏ and ３Ｄ index as logo and 3d; words lose
their diacritics (café → cafe); traditional characters are folded to simplified ones (網站 → 网站,
the shipped table t2s.txt), so either form finds both. The FTS5 table uses unicode61 with
remove_diacritics 0, so it keeps these tokens exactly as given.
Pure functions, no I/O: the same splitter runs at sync time (indexing) and on the query path,
where a dictionary segmenter such as jieba would cost ≈0.5 s per cold process.

The index of a contentless FTS5 table can only be corrected by replaying the exact tokens it
was given, so any change to the splitting rules needs a migration that rebuilds the index.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import cache
from operator import add

# Han (CJK unified + extension A + compatibility + supplementary planes), 々 〇, kana without
# its punctuation (゠ ・), Hangul syllables. Every character here is a letter or number to
# unicode61, so a bigram of them survives its tokenizer intact.
_CJK = (
    "\u3005\u3007"
    "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
_RUNS = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")  # findall → (cjk run, word) pairs

# The fast path of `index_text`, for text made only of ASCII, CJK unified ideographs and the
# punctuation of Chinese text below — nearly every order. On such text NFKC can only turn
# punctuation into other punctuation (a separator stays a separator; tests/store/test_fts.py
# checks every character), so normalising is skipped and the tokens are unchanged.
_FAST_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_FAST_PUNCT = (
    "\u00b7\u00d7\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u3000-\u3003\u3008-\u3011"
    "\u3014-\u301f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\uffe5"
)


@cache
def fast_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(text the fast path takes, its runs after lower(): CJK runs and words) — compiled on
    first use: only syncing indexes text, and a cold search should not pay ≈5 ms for them."""
    return (
        re.compile(f"[\\x00-\\x7f{_FAST_CJK}{_FAST_PUNCT}]*"),
        re.compile(f"[{_FAST_CJK}]+|[a-z0-9]+"),
    )


@cache
def _t2s() -> dict[int, int]:
    """The traditional → simplified table (t2s.txt: two lines of characters, pair by pair)."""
    with open(os.path.join(os.path.dirname(__file__), "t2s.txt"), encoding="utf-8") as table:
        lines = table.read().splitlines()
    traditional, simplified = (line for line in lines if not line.startswith("#"))
    return str.maketrans(traditional, simplified)


@cache
def _traditional() -> re.Pattern[str]:
    """Any character t2s.txt folds: most text has none, and finding that out is a tenth of
    the cost of str.translate with the table (compiled on first use, by syncing)."""
    return re.compile("[" + "".join(re.escape(chr(code)) for code in _t2s()) + "]")


def fold(text: str) -> str:
    """`text` with traditional characters as simplified (網站設計 → 网站设计)."""
    return text.translate(_t2s())


def _plain(word: str) -> str:
    """`word` without diacritics (café → cafe), as unicode61's remove_diacritics would."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _normal(text: str) -> str:
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return fold(text.casefold())


def _runs(text: str) -> list[tuple[bool, str]]:
    """(is_cjk, run) pairs in text order, after normalisation."""
    return [
        (True, cjk) if cjk else (False, word if word.isascii() else _plain(word))
        for cjk, word in _RUNS.findall(_normal(text))
    ]


def index_tokens(text: str) -> list[str]:
    """The tokens to index for `text`, in order (bigram runs stay adjacent for phrases)."""
    # The general path (index_text takes a shortcut for common text): kept flat on purpose.
    tokens: list[str] = []
    for cjk, word in _RUNS.findall(_normal(text)):
        if cjk:
            if len(cjk) > 1:
                tokens += [cjk[i : i + 2] for i in range(len(cjk) - 1)]
            tokens.append(cjk[-1])
        else:
            tokens.append(word if word.isascii() else _plain(word))
    return tokens


def index_text(text: str) -> str:
    """`index_tokens` joined by spaces: what goes into the FTS5 column.

    The hot path of a large initial sync (two texts per order), so common text takes a
    shortcut with the same result: no normalisation (see _FAST_CJK), and each CJK run's
    bigrams made by map() rather than a loop per character."""
    fast, fast_runs = fast_patterns()
    if fast.fullmatch(text) is None:
        return " ".join(index_tokens(text))
    lowered = text.lower()
    if _traditional().search(lowered) is not None:
        lowered = fold(lowered)
    parts = []
    for run in fast_runs.findall(lowered):
        if run < "\x80" or len(run) == 1:  # a word, or a lone CJK character
            parts.append(run)
        else:
            parts.append(" ".join(map(add, run, run[1:])) + " " + run[-1])
    return " ".join(parts)
