"""Saved searches in the replica: added once by name, matched with the command line's search
and the watch's category, tag and least budget, each order reported once."""

from __future__ import annotations

import sqlite3

import pytest

from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.watches import add_watch, list_watches, new_matches, remove_watch
from tests.store.factories import order, page, put


def _market(store: sqlite3.Connection, *orders: dict) -> None:  # type: ignore[type-arg]
    apply_page(store, page(*(put("order", o) for o in orders)))


def test_a_watch_reports_each_matching_order_once(store: sqlite3.Connection) -> None:
    _market(
        store,
        order("o1", "网站建设", category="development", tags=["Vue"], budget_max_fen=500_000),
        order("o2", "网站设计", category="design", budget_max_fen=500_000),
        order("o3", "网站维护", category="development", budget_max_fen=50_000),
        order("o4", "小程序", category="development", budget_max_fen=500_000),
    )
    add_watch(store, "web", query="网站", category="development", budget_min_fen=100_000)
    assert [(w["name"], o["id"]) for w, o in new_matches(store)] == [("web", "o1")]
    assert new_matches(store) == []  # reported already
    _market(store, order("o5", "企业网站", category="development", budget_max_fen=300_000))
    assert [o["id"] for _w, o in new_matches(store)] == ["o5"]


def test_a_tag_narrows_a_watch(store: sqlite3.Connection) -> None:
    _market(store, order("o1", "logo 设计", tags=["品牌"]), order("o2", "logo 修改", tags=["修图"]))
    add_watch(store, "brand", query="logo", tag="品牌")
    assert [o["id"] for _w, o in new_matches(store)] == ["o1"]


def test_watches_are_named_once_and_removed_by_name(store: sqlite3.Connection) -> None:
    add_watch(store, "a", query="logo")
    with pytest.raises(Conflict):
        add_watch(store, "a", query="网站")
    for name, query in (("has space", "x"), ("", "x"), ("b", "  ")):
        with pytest.raises(InvalidInput):
            add_watch(store, name, query=query)
    with pytest.raises(InvalidInput):
        add_watch(store, "c", query="x", category="no-such-category")
    assert [w["name"] for w in list_watches(store)] == ["a"]
    remove_watch(store, "a")
    with pytest.raises(NotFound):
        remove_watch(store, "a")
    assert list_watches(store) == []
