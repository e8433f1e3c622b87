from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from jiedan_cli.store.apply import apply_page, prepare_page
from jiedan_cli.store.db import open_db
from jiedan_cli.store.outbox import enqueue, pending
from jiedan_cli.store.queries import get_order, list_orders, search_orders
from jiedan_cli.store.state import sync_state
from tests.store.factories import assert_index_in_step, bid, delete, message, order, page, put

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _ids(conn: sqlite3.Connection, query: str) -> set[str]:
    return {o["id"] for o in search_orders(conn, query, status="all")}


def test_a_page_is_applied_with_its_cursor(store: sqlite3.Connection) -> None:
    result = apply_page(
        store,
        page(
            put("order", order("o1", "网站建设")),
            put("bid", bid("b1", "o1")),
            put("message", message("m1", "o1", "你好")),
            put(
                "ledger_entry",
                {
                    "id": "l1",
                    "order_id": "o1",
                    "kind": "release",
                    "amount_fen": 9000,
                    "account": "available",
                    "created_at": "2026-01-01T00:00:00Z",
                },
            ),
            put("profile", {"id": "me", "skills": ["python"]}),
            cursor="c-9",
            last_seq=4,
            epoch="ep-1",
            has_more=True,
        ),
    )
    assert (result.applied, result.has_more, result.reset, result.cursor) == (5, True, False, "c-9")
    state = sync_state(store)
    assert (state.cursor, state.last_seq, state.epoch) == ("c-9", 4, "ep-1")
    assert state.last_sync_at is not None
    for table in ("orders", "bids", "messages", "ledger_entries", "profiles"):
        assert _count(store, table) == 1
    stored = json.loads(store.execute("SELECT data FROM orders").fetchone()[0])
    assert stored["my_bid"] is None  # per viewer: computed when read


def test_an_order_edit_moves_its_search_entry(store: sqlite3.Connection) -> None:
    apply_page(
        store, page(put("order", order("o1", "网站建设", created_at="2026-01-01T00:00:00Z")))
    )
    apply_page(
        store, page(put("order", order("o1", "LOGO设计", created_at="2026-01-01T00:00:00Z")))
    )
    assert _ids(store, "网站") == set()
    assert _ids(store, "logo") == {"o1"}
    assert_index_in_step(store)


def test_a_status_only_change_keeps_the_search_entry(store: sqlite3.Connection) -> None:
    created = "2026-01-01T00:00:00Z"
    apply_page(store, page(put("order", order("o1", "网站", created_at=created, tags=["a"]))))
    apply_page(
        store,
        page(put("order", order("o1", "网站", created_at=created, tags=["a"], bid_count=3))),
    )
    assert _ids(store, "网站") == {"o1"}
    assert get_order(store, "o1")["bid_count"] == 3  # type: ignore[index]
    assert _count(store, "order_tags") == 1
    assert_index_in_step(store)


def test_deletes_remove_rows_tags_and_search_entries(store: sqlite3.Connection) -> None:
    apply_page(
        store,
        page(put("order", order("o1", "网站", tags=["Vue"])), put("bid", bid("b1", "o1"))),
    )
    apply_page(store, page(delete("order", "o1"), delete("bid", "b1"), delete("order", "nope")))
    assert _count(store, "orders") == _count(store, "bids") == _count(store, "order_tags") == 0
    assert _ids(store, "网站") == set()
    assert_index_in_step(store)


def test_changes_in_one_page_apply_in_order(store: sqlite3.Connection) -> None:
    apply_page(
        store,
        page(
            put("order", order("o1", "第一")),
            delete("order", "o1"),
            put("order", order("o2", "旧标题")),
            put("order", order("o2", "新标题")),
        ),
    )
    assert [o["title"] for o in list_orders(store)] == ["新标题"]
    assert_index_in_step(store)


def test_a_failure_mid_page_leaves_data_and_cursor_as_before(store: sqlite3.Connection) -> None:
    apply_page(store, page(put("order", order("o1", "网站")), cursor="c-1"))
    broken = order("o3", "坏的")
    del broken["status"]
    with pytest.raises(KeyError):
        apply_page(
            store,
            page(
                put("order", order("o1", "改过的标题")),
                put("order", order("o2", "新的")),
                put("order", broken),
                cursor="c-2",
            ),
        )
    assert sync_state(store).cursor == "c-1"
    assert [o["title"] for o in list_orders(store)] == ["网站"]
    assert _ids(store, "网站") == {"o1"}
    assert _ids(store, "新的") == set()
    assert_index_in_step(store)


def test_an_unknown_entity_is_kept_for_a_later_version(store: sqlite3.Connection) -> None:
    event = {"id": "e1", "order_id": "o1", "kind": "revision_requested"}
    result = apply_page(store, page(put("order_event", event), cursor="c-5"))
    assert (result.applied, sync_state(store).cursor) == (1, "c-5")
    row = store.execute("SELECT entity, id, data FROM extra_entities").fetchone()
    assert (row["entity"], row["id"], json.loads(row["data"])) == ("order_event", "e1", event)
    apply_page(store, page(delete("order_event", "e1")))
    assert _count(store, "extra_entities") == 0


def test_an_unknown_op_refuses_the_page(store: sqlite3.Connection) -> None:
    apply_page(store, page(cursor="c-5"))
    with pytest.raises(ValueError, match="unknown op"):
        apply_page(store, page({"entity": "order", "id": "x", "op": "patch", "data": {}}))
    assert sync_state(store).cursor == "c-5"


def test_reset_clears_the_server_copy_and_keeps_the_outbox(store: sqlite3.Connection) -> None:
    apply_page(
        store,
        page(put("order", order("o1", "网站")), put("bid", bid("b1", "o1")), cursor="old"),
    )
    enqueue(store, "place_bid", {"order_id": "o1", "amount_fen": 1, "days": 1}, "bid", "b2")
    result = apply_page(store, page(put("order", order("o2", "设计")), reset=True, cursor="new"))
    assert result.reset
    assert [o["id"] for o in list_orders(store)] == ["o2"]
    assert _count(store, "bids") == 0
    assert _ids(store, "网站") == set()
    assert [op.object_id for op in pending(store)] == ["b2"]
    assert sync_state(store).cursor == "new"
    assert_index_in_step(store)


def test_an_interrupted_pull_resumes_from_the_last_committed_page(
    store: sqlite3.Connection,
) -> None:
    pages = [page(put("order", order(f"o{n}", f"订单{n}")), cursor=f"c{n}") for n in range(3)]
    apply_page(store, pages[0])
    apply_page(store, pages[1])
    bad = page({"entity": "order", "id": "oops", "op": "put", "data": {}}, cursor="c-bad")
    with pytest.raises(KeyError):
        apply_page(store, bad)
    assert sync_state(store).cursor == "c1"
    apply_page(store, pages[1])  # the server re-sends from c1: applying twice is harmless
    apply_page(store, pages[2])
    assert sorted(o["id"] for o in list_orders(store)) == ["o0", "o1", "o2"]
    assert_index_in_step(store)


def _dump(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    tables = ("orders", "order_tags", "bids", "extra_entities")
    dumped = {
        t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2")] for t in tables
    }
    state = "SELECT cursor, epoch, last_seq, last_sync_at FROM sync_state"
    dumped["sync_state"] = [tuple(r) for r in conn.execute(state)]
    dumped["terms"] = [
        tuple(r) for r in conn.execute("SELECT term, doc, col FROM temp.fts_terms ORDER BY 1, 2, 3")
    ]
    return dumped


def test_a_prepared_page_is_applied_exactly_as_the_page(store: sqlite3.Connection) -> None:
    """prepare_page (the pull's worker thread) only moves work earlier: same rows, same index,
    and a change it cannot make ready fails where it always did."""
    plain = open_db(":memory:")
    first = page(
        put("order", order("o1", "网站建设", created_at="2026-01-01T00:00:00Z", tags=["Vue"])),
        put("bid", bid("b1", "o1")),
        cursor="c1",
    )
    second = page(
        put("order", order("o2", "ＬＯＧＯ设计 café", my_bid={"id": "b9"})),
        put("order", order("o1", "小程序", created_at="2026-01-01T00:00:00Z", tags=["a", "B"])),
        put("order_event", {"id": "e1"}),
        delete("order", "o2"),
        put("order", order("o3", "第三")),
        put("order", order("o3", "第三改")),
        cursor="c2",
    )
    for body in (first, second):
        apply_page(plain, body, now=NOW)
        apply_page(store, prepare_page(body, pause=lambda: None), now=NOW)
    for conn in (plain, store):
        assert_index_in_step(conn)
    assert _dump(store) == _dump(plain)
    broken = order("o4", "坏的")
    del broken["status"]
    prepared = prepare_page(page(put("order", order("o5")), put("order", broken), cursor="c3"))
    assert set(prepared.orders) == {0}
    with pytest.raises(KeyError):
        apply_page(store, prepared)
    assert sync_state(store).cursor == "c2"


def _fts_inserts(conn: sqlite3.Connection, orders: int, first: int) -> int:
    """How many statements inserting full-text rows a page of `orders` new orders ran."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        changes = [put("order", order(f"o{first + n}", f"网站建设{n}")) for n in range(orders)]
        apply_page(conn, page(*changes, cursor=f"c{first}"))
    finally:
        conn.set_trace_callback(None)
    return sum(s.startswith("INSERT INTO orders_fts (rowid") for s in statements)


def test_a_page_indexes_its_orders_in_one_statement_however_many(
    store: sqlite3.Connection,
) -> None:
    """A page's full-text rows are one statement (SQLite tokenises them all without the
    GIL, while the pull prepares the next page), not one a row."""
    assert _fts_inserts(store, 3, 0) == _fts_inserts(store, 300, 100) == 1
    found = {o["id"] for o in search_orders(store, "网站", 1_000, status="all")}
    assert found == {f"o{n}" for n in [0, 1, 2, *range(100, 400)]}
    assert_index_in_step(store)
