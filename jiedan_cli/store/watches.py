"""Saved searches (`jiedan watch`), kept in the replica: a name, the words to search for
(the command line's Chinese search) and optional category, tag and least budget; each
remembers the orders it has reported, so a run says only what is new."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.store.queries import search_orders
from jiedan_cli.store.transaction import transaction

NAME_MAX = 50
SCANNED = 500  # the newest open orders a watch looks through on each run


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX or any(c.isspace() for c in name):
        raise InvalidInput(f"name: 1 to {NAME_MAX} characters, no spaces", field="name")
    return name


def add_watch(
    conn: sqlite3.Connection,
    name: str,
    *,
    query: str,
    category: str | None = None,
    tag: str | None = None,
    budget_min_fen: int | None = None,
) -> dict[str, Any]:
    name = check_name(name)
    if not query.strip():
        raise InvalidInput("query: the words to watch for", field="query")
    if category is not None:
        from jiedan_cli.domain.categories import check_category

        category = check_category(category)
    watch = {
        "name": name,
        "query": query.strip(),
        "category": category,
        "tag": tag.strip() if tag else None,
        "budget_min_fen": budget_min_fen,
        "created_at": rfc3339(datetime.now(UTC)),
    }
    with transaction(conn):
        if conn.execute("SELECT 1 FROM watches WHERE name = ?", (name,)).fetchone():
            raise Conflict(f"a watch named {name} exists; remove it first", code="watch_exists")
        conn.execute(
            "INSERT INTO watches (name, query, category, tag, budget_min_fen, created_at)"
            " VALUES (:name, :query, :category, :tag, :budget_min_fen, :created_at)",
            watch,
        )
    return watch


def list_watches(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT name, query, category, tag, budget_min_fen, created_at FROM watches ORDER BY name"
    )
    return [dict(row) for row in rows]


def remove_watch(conn: sqlite3.Connection, name: str) -> None:
    with transaction(conn):
        if not conn.execute("DELETE FROM watches WHERE name = ?", (name,)).rowcount:
            raise NotFound(f"no watch named {name}")
        conn.execute("DELETE FROM watch_seen WHERE name = ?", (name,))


def new_matches(conn: sqlite3.Connection) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(watch, order) for every open order a watch matches and has not reported yet, and
    from now on counted as reported; oldest first, so they read in the order they came."""
    found: list[tuple[dict[str, Any], dict[str, Any]]] = []
    with transaction(conn):
        for watch in list_watches(conn):
            seen = {
                row[0]
                for row in conn.execute(
                    "SELECT order_id FROM watch_seen WHERE name = ?", (watch["name"],)
                )
            }
            fresh = [order for order in matches(conn, watch) if order["id"] not in seen]
            conn.executemany(
                "INSERT INTO watch_seen (name, order_id) VALUES (?, ?)",
                [(watch["name"], order["id"]) for order in fresh],
            )
            fresh.sort(key=lambda order: (order.get("created_at") or "", order["id"]))
            found += [(watch, order) for order in fresh]
    return found


def matches(conn: sqlite3.Connection, watch: dict[str, Any]) -> list[dict[str, Any]]:
    """The open orders `watch` matches now, newest first (reported before or not)."""
    found = search_orders(conn, watch["query"], SCANNED, status="open", newest_first=True)
    return [order for order in found if _fits(order, watch)]


def get_watch(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    for watch in list_watches(conn):
        if watch["name"] == name:
            return watch
    raise NotFound(f"no watch named {name} (`jiedan watch add` makes one)")


def _fits(order: dict[str, Any], watch: dict[str, Any]) -> bool:
    if watch["category"] and order.get("category") != watch["category"]:
        return False
    tags = [str(t).lower() for t in order.get("tags") or []]
    if watch["tag"] and watch["tag"].lower() not in tags:
        return False
    least = watch["budget_min_fen"]
    return not least or int(order.get("budget_max_fen") or 0) >= least
