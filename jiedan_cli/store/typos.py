"""Spelling tolerance for Latin words in a search (logoo → logo, wordpres → wordpress): a word
the replica's index does not hold is compared, by edit distance, with the Latin words it does
hold (orders_fts_vocab, an fts5vocab table over the index: no list of our own to keep in
step). Only words of MIN_LENGTH letters or more are corrected — a short word is too close to
too many others (app, api, php) — at most one edit below LONG letters, two from there on."""

from __future__ import annotations

import sqlite3

TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Callable

MIN_LENGTH, LONG = 5, 8
MOST = 3  # corrections offered for one word


def edit_distance(a: str, b: str, most: int) -> int:
    """Levenshtein distance of a and b (adjacent swaps count one), or most + 1 once it is
    sure to exceed `most`."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > most and min(row) >= most:  # a later swap adds one to row i-1
            return most + 1
        before, row = row, current
    return row[-1]


def corrector(conn: sqlite3.Connection) -> Callable[[str], list[str]]:
    """corrections(word): the indexed words nearest `word`, nearest first; none when the
    index holds `word` itself, or when it is short or not plain Latin."""

    def corrections(word: str) -> list[str]:
        if len(word) < MIN_LENGTH or not word.isascii() or not word.isalpha():
            return []
        known = conn.execute("SELECT 1 FROM orders_fts_vocab WHERE term = ?", (word,))
        if known.fetchone() is not None:
            return []
        most = 1 if len(word) < LONG else 2
        rows = conn.execute(
            "SELECT term FROM orders_fts_vocab WHERE term >= 'a' AND term < '{'"
            " AND length(term) BETWEEN ? AND ?",
            (len(word) - most, len(word) + most),
        )
        near = [(edit_distance(word, term, most), term) for (term,) in rows]
        return [term for distance, term in sorted(near) if distance <= most][:MOST]

    return corrections
