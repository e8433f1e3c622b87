"""Group commit on SQLite (#8 P6; api/write_thread.py, db.engine.Database.write_group): the
grouped writes queued together for the writer thread share one transaction, each a savepoint
of it; every caller is answered after the commit; an error undoes its own write only, with
its before-commit work and deferred items; a lost transaction fails whoever wrote in it and
the calls after it run in a new one. Through the API (both databases): concurrent bids on
SQLite are one commit, on PostgreSQL one each, with the same answers and the same rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import Connection, event, func, select

from jiedan_cli.domain.errors import TemporaryFailure
from jiedan_cli.server.api import deps
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.engine import before_commit, deferred
from jiedan_cli.server.db.tables import bids, orders, risk_holds
from tests.server.conftest import Server, make_server
from tests.server.market import place_bid, post_order


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'group.db'}")
    with database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (n INTEGER PRIMARY KEY, by TEXT)")
    yield database
    deps.end_write_turns(database)
    database.dispose()


@contextmanager
def commits(db: Database) -> Iterator[list[str]]:
    """The name of the thread of each commit made meanwhile."""
    seen: list[str] = []

    def note(_conn: Any) -> None:
        seen.append(threading.current_thread().name)

    event.listen(db.engine, "commit", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "commit", note)


def notes(db: Database) -> list[tuple[int, str]]:
    with db.read() as conn:
        return [tuple(row) for row in conn.exec_driver_sql("SELECT n, by FROM notes ORDER BY n")]


def note(db: Database, n: int, by: str = "") -> None:
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO notes VALUES (?, ?)", (n, by))


async def queued_behind_a_write(
    db: Database,
    calls: list[tuple[Callable[[], Any], bool]],
    on_answer: Callable[[int], None] = lambda _n: None,
) -> list[Any]:
    """Run `calls` ((call, grouped), in this order) through the writer thread, all queued
    while a first call holds it, so the grouped ones meet; each one's outcome (its value,
    or the exception it raised). `on_answer(n)` runs as the n-th caller is answered."""
    go, holding = threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        go.wait(10)

    outcomes: list[Any] = [None] * len(calls)

    async def run(n: int, call: Callable[[], Any], grouped: bool) -> None:
        try:
            outcomes[n] = await deps.in_write_turn(db, call, grouped=grouped)
        except Exception as error:
            outcomes[n] = error
        on_answer(n)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(deps.in_write_turn, db, hold)
        await anyio.to_thread.run_sync(holding.wait, 10)
        for n, (call, grouped) in enumerate(calls):
            tasks.start_soon(run, n, call, grouped)
            await anyio.sleep(0)  # queued in this order
        while deps.writes_waiting(db) < len(calls):
            await anyio.sleep(0.001)
        go.set()
    return outcomes


@pytest.mark.anyio
async def test_grouped_writes_queued_together_commit_once_and_are_answered_after_it(
    db: Database,
) -> None:
    ran: list[int] = []
    ran_when_answered: dict[int, list[int]] = {}

    def write(n: int) -> int:
        note(db, n)
        ran.append(n)
        return n

    def answered(n: int) -> None:
        ran_when_answered[n] = list(ran)

    with commits(db) as committed:
        outcomes = await queued_behind_a_write(
            db, [(lambda n=n: write(n), True) for n in range(5)], answered
        )
    assert outcomes == list(range(5))
    assert committed == ["jiedan-sqlite-writer"]  # five writes, one commit
    assert notes(db) == [(n, "") for n in range(5)]
    # no caller was answered before every write of its group had run (and been committed)
    assert ran_when_answered == {n: list(range(5)) for n in range(5)}


@pytest.mark.anyio
async def test_an_error_undoes_its_own_write_with_its_before_commit_and_deferred_work(
    db: Database,
) -> None:
    hooks_run: list[str] = []
    flushed: list[list[str]] = []

    def flush(conn: Connection, items: list[str]) -> None:
        flushed.append(list(items))
        for n, by in enumerate(items, start=100):
            conn.exec_driver_sql("INSERT INTO notes VALUES (?, ?)", (n, by))

    def write(n: int, by: str, fail: Exception | None = None) -> int:
        with db.write() as conn:
            conn.exec_driver_sql("INSERT INTO notes VALUES (?, ?)", (n, by))
            state = before_commit(conn, "hook", lambda c: hooks_run.append(state["by"]))
            assert state is not None and state == {}  # a write's own, never another's
            state["by"] = by
            items = deferred(conn, "flush", flush)
            assert items is not None
            items.append(by)
            if fail is not None:
                raise fail
        return n

    with commits(db) as committed:
        outcomes = await queued_behind_a_write(
            db,
            [
                (lambda: write(1, "first"), True),
                (lambda: write(2, "refused", ValueError("refused")), True),
                (lambda: write(1, "duplicate"), True),  # the first's key: an IntegrityError
                (lambda: write(3, "last"), True),
            ],
        )
    assert outcomes[0] == 1 and outcomes[3] == 3
    assert isinstance(outcomes[1], ValueError)
    assert "UNIQUE" in str(outcomes[2])
    assert len(committed) == 1
    assert hooks_run == ["first", "last"]  # each as its write ended; the failed ones' never
    assert flushed == [["first", "last"]]  # once for the group, the failed ones' dropped
    assert notes(db) == [(1, "first"), (3, "last"), (100, "first"), (101, "last")]


@pytest.mark.anyio
async def test_a_lost_transaction_fails_whoever_wrote_in_it_and_the_next_run_afresh(
    db: Database,
) -> None:
    def interrupted() -> None:
        # SQLite answers an interrupted write by rolling the whole transaction back
        with db.write() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.set_progress_handler(lambda: 1, 1)
            try:
                conn.exec_driver_sql("INSERT INTO notes VALUES (2, 'interrupted')")
            finally:
                driver.set_progress_handler(None, 1)

    with commits(db) as committed:
        outcomes = await queued_behind_a_write(
            db,
            [
                (lambda: note(db, 1, "before"), True),
                (interrupted, True),
                (lambda: note(db, 3, "after"), True),
            ],
        )
    assert isinstance(outcomes[0], TemporaryFailure)  # its write was lost: never "done"
    assert isinstance(outcomes[1], TemporaryFailure)
    assert outcomes[2] is None
    assert notes(db) == [(3, "after")]
    assert len(committed) == 1  # the next group's


@pytest.mark.anyio
async def test_a_call_not_grouped_runs_alone_in_its_turn(db: Database) -> None:
    with commits(db) as committed:
        outcomes = await queued_behind_a_write(
            db,
            [
                (lambda: note(db, 1, "grouped"), True),
                (lambda: note(db, 2, "grouped"), True),
                (lambda: note(db, 3, "alone"), False),
                (lambda: note(db, 4, "grouped"), True),
            ],
        )
    assert outcomes == [None] * 4
    assert len(committed) == 3  # 1 and 2 together; 3 alone; 4
    assert [n for n, _by in notes(db)] == [1, 2, 3, 4]


# ---- through the API --------------------------------------------------------------------

BID = {"amount_fen": 80_000, "days": 5, "message": "三天出初稿"}


@pytest.fixture
def velocity_server(database_url: str) -> Iterator[Server]:
    """A freelancer's second quote within a minute is held (as tests/server/test_holds.py)."""
    srv = make_server(database_url, risk_record=True, risk_limits="bids=1")
    with srv.client:
        yield srv


@contextmanager
def change_log_commits(server: Server) -> Iterator[list[int]]:
    """For each commit of a transaction that appended to the change log: its INSERTs."""
    seen: list[int] = []

    def on_statement(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CHANGE_LOG"):
            conn.info["appends"] = conn.info.get("appends", 0) + 1

    def on_commit(conn: Any) -> None:
        if appends := conn.info.pop("appends", 0):
            seen.append(appends)

    def on_rollback(conn: Any) -> None:
        conn.info.pop("appends", None)

    engine = server.db.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "rollback", on_rollback)


def concurrent_bids(server: Server, bidders: list[tuple[dict[str, Any], str]]) -> list[int]:
    """Each (freelancer, order id) bids at once, from threads; on SQLite they are held
    behind a write until all of them wait for the writer thread. Their statuses."""
    statuses: list[int] = [0] * len(bidders)

    def bid(n: int, freelancer: dict[str, Any], order_id: str) -> None:
        path = f"/v1/orders/{order_id}/bids"
        statuses[n] = server.request("POST", path, freelancer["token"], json=BID).status_code

    threads = [
        threading.Thread(target=bid, args=(n, who, order_id))
        for n, (who, order_id) in enumerate(bidders)
    ]
    if server.db.is_sqlite:
        with server.db.write():
            for thread in threads:
                thread.start()
            # the first is taken up by the writer thread, waiting for this write to end
            while deps.writes_waiting(server.db) < len(threads) - 1:
                time.sleep(0.001)
    else:
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_bids_are_one_commit_on_sqlite_with_each_its_own_answer(
    velocity_server: Server,
) -> None:
    server = velocity_server
    client = server.register("client")
    f1, f2, f3, f4 = (server.register("freelancer") for _ in range(4))
    a, b, c = (post_order(server, client) for _ in range(3))
    place_bid(server, f1, a["id"])  # f1's next quote within the minute is held
    for who in (f2, f3, f4):  # each signed in already: no session write in the group
        assert server.request("GET", "/v1/bids", who["token"]).status_code == 200
    missing = "00000000-0000-4000-8000-000000000000"
    bidders = [(f1, b["id"]), (f2, a["id"]), (f3, a["id"]), (f4, missing)]
    with change_log_commits(server) as committed:
        statuses = concurrent_bids(server, bidders)
    assert statuses == [202, 201, 201, 404]  # held for review, placed, placed, no such order
    # the held bid's hold and the two placed bids: on SQLite one commit, whose changes went
    # in by one INSERT; elsewhere three commits of one INSERT each
    assert committed == ([1] if server.db.is_sqlite else [1, 1, 1])
    with server.db.read() as conn:
        placed = conn.execute(select(bids.c.freelancer_id, bids.c.order_id)).all()
        counts = dict(conn.execute(select(orders.c.id, orders.c.bid_count)).all())
        holds = conn.scalar(select(func.count()).where(risk_holds.c.user_id == f1["id"]))
    assert sorted(placed) == sorted([(who["id"], a["id"]) for who in (f1, f2, f3)])
    # each bid counted the ones before it, committed or not yet
    assert (counts[a["id"]], counts[b["id"]], counts[c["id"]]) == (3, 0, 0)
    assert holds == 1
