"""`orders search` understands what people type (store/search_plan.py, store/typos.py): the
queries of tests/store/fixtures/search_queries.json on a replica of orders the marketplace
seed writes, with the fixture's orders among them."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jiedan_cli.server.seed import _order_text
from jiedan_cli.server.seed_data import KINDS
from jiedan_cli.store import fts, migrations
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import connect, open_db
from jiedan_cli.store.migrations import (
    MIGRATIONS,
    m005_search_folding,
    m006_index_split_at_spaces,
    migrate,
)
from jiedan_cli.store.queries import search_orders
from tests.store.factories import assert_index_in_step, order, page, put

FIXTURE = json.loads(
    (Path(__file__).parent / "fixtures" / "search_queries.json").read_text(encoding="utf-8")
)
SEEDED = 300
START = datetime(2026, 3, 1, tzinfo=UTC)


def _at(n: int) -> str:
    return (START + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")


def _seeded_orders() -> list[dict[str, Any]]:
    """Orders as the marketplace seed writes them, posted after the fixture's."""
    rng = random.Random(20261206)
    made = []
    for n in range(SEEDED):
        kind = KINDS[n % len(KINDS)]
        title, description = _order_text(rng, kind, rng.randrange(5), kind.local > 0)
        tags = rng.sample(kind.tags, 2)
        made.append(
            order(f"seed-{n}", title, description=description, category=kind.category,
                  tags=tags, created_at=_at(100 + n))
        )  # fmt: skip
    return made


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    conn = open_db(tmp_path_factory.mktemp("search") / "replica.db")
    mine = [
        order(o["id"], o["title"], **{k: v for k, v in o.items() if k not in ("id", "title")},
              created_at=_at(n))
        for n, o in enumerate(FIXTURE["orders"])
    ]  # fmt: skip
    apply_page(conn, page(*(put("order", o) for o in [*mine, *_seeded_orders()])))
    return conn


@pytest.mark.parametrize("case", FIXTURE["queries"], ids=lambda c: c["query"])
def test_the_expected_order_comes_first(market: sqlite3.Connection, case: dict[str, Any]) -> None:
    found = search_orders(market, case["query"])
    assert found, case["why"]
    assert found[0]["id"] == case["first"], (case["why"], [(o["id"], o["title"]) for o in found])


@pytest.mark.parametrize("case", FIXTURE["never"], ids=lambda c: c["query"])
def test_a_query_does_not_find_what_it_does_not_mean(
    market: sqlite3.Connection, case: dict[str, Any]
) -> None:
    found = {o["id"] for o in search_orders(market, case["query"], limit=500)}
    assert not found & set(case["not"]), case["why"]


def test_the_seeded_orders_really_compete(market: sqlite3.Connection) -> None:
    # The fixture's queries are not won by being alone: common words find seeded orders too.
    for query in ("网站", "小程序", "logo", "打扫"):
        assert len(search_orders(market, query, limit=500)) > 5, query


# ---- a fresh replica and one an older version wrote --------------------------------------

TEXTS = {"t": ("網站維護", "繁體中文網頁"), "s": ("网站维护", "简体"), "w": ("WordPress 主题", "")}


def _orders() -> list[dict[str, Any]]:
    return [order(oid, title, description=text) for oid, (title, text) in TEXTS.items()]


def _understood(conn: sqlite3.Connection) -> None:
    assert {o["id"] for o in search_orders(conn, "网站")} == {"t", "s"}
    assert {o["id"] for o in search_orders(conn, "網站")} == {"t", "s"}
    assert [o["id"] for o in search_orders(conn, "wordpres")] == ["w"]
    assert search_orders(conn, "wordpres")[0]["matched"] == ["wordpress"]
    assert_index_in_step(conn)


def test_a_fresh_replica_understands(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "r.db")
    apply_page(conn, page(*(put("order", o) for o in _orders())))
    _understood(conn)


def test_an_upgraded_replica_is_reindexed_folded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = connect(tmp_path / "r.db")
    older = MIGRATIONS[: MIGRATIONS.index(m005_search_folding)]
    migrations._apply(conn, older)
    with monkeypatch.context() as before:  # the index as the previous version wrote it
        before.setattr(fts, "fold", lambda text: text)
        apply_page(conn, page(*(put("order", o) for o in _orders())))
    assert {o["id"] for o in search_orders(conn, "网站")} == {"s"}  # not folded yet
    assert migrate(conn)[0] == "m005_search_folding"
    _understood(conn)


def test_an_upgraded_replica_is_reindexed_with_the_same_tokens(tmp_path: Path) -> None:
    """m006 swaps the index's tokenizer (unicode61 → ascii): every word it held before and
    every search answer stay the same."""
    conn = connect(tmp_path / "r.db")
    migrations._apply(conn, MIGRATIONS[: MIGRATIONS.index(m006_index_split_at_spaces)])
    apply_page(conn, page(*(put("order", o) for o in _orders())))
    queries = ["网站", "網站", "wordpres", "小程序", "logo", "设计", "café"]

    def answers() -> list[list[str]]:
        return [[o["id"] for o in search_orders(conn, q, status="all")] for q in queries]

    def vocabulary() -> list[tuple[str, int, int]]:
        return [tuple(r) for r in conn.execute("SELECT term, doc, cnt FROM orders_fts_vocab")]

    before, words = answers(), vocabulary()
    assert migrate(conn)[0] == "m006_index_split_at_spaces"
    tokenizer = "SELECT sql FROM sqlite_master WHERE name = 'orders_fts'"
    assert "tokenize='ascii'" in conn.execute(tokenizer).fetchone()[0]
    assert (answers(), vocabulary()) == (before, words)
    assert len(words) > 10
    _understood(conn)


def test_saved_searches_take_the_newest_matches_not_the_best(market: sqlite3.Connection) -> None:
    best = search_orders(market, "网站", limit=3)
    newest = search_orders(market, "网站", limit=3, newest_first=True)
    assert [o["created_at"] for o in newest] == sorted(o["created_at"] for o in newest)[::-1]
    everything = search_orders(market, "网站", limit=500, newest_first=True)
    assert newest == everything[:3] and {o["id"] for o in best} != {o["id"] for o in newest}
