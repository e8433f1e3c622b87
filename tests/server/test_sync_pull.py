"""GET /v1/sync/pull: pages in commit order, only what the caller may see, reset on a cursor
from another epoch — and a server restored from a backup (sync.md, docs/sync-protocol.md)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from jiedan_cli.server.cli import app as server_cli
from jiedan_cli.server.db.tables import messages
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.changes import epoch as current_epoch
from jiedan_cli.server.services.sync_pull import pull_changes, visible_changes
from tests.server.conftest import CALM, Server, make_server
from tests.server.devices import Device, order_args

# The risk engine records every action and holds none (conftest CALM): these new accounts push ¥8000
# orders, which it rightly holds; what it holds is test_holds.py's.
pytestmark = pytest.mark.calm


def epoch_of(server: Server) -> str:
    with server.db.read() as conn:
        return current_epoch(conn)


def test_pages_follow_next_cursor_until_has_more_is_false(server: Server) -> None:
    client = Device(server, server.register("client"))
    for n in range(5):
        client.apply("post_order", **order_args(title=f"订单 {n}"))
    everything = Device(server, client.user, client_id=client.client_id).pull_all()
    pages: list[dict[str, Any]] = []
    while True:
        page = client.pull(limit=2)
        pages.append(page)
        client.cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    paged = [change for page in pages for change in page["changes"]]
    assert paged == everything
    assert all(len(page["changes"]) == 2 for page in pages[:-1])
    assert all(page["has_more"] for page in pages[:-1])
    seqs = [change["seq"] for change in paged]
    assert seqs == sorted(set(seqs))
    # "<epoch>:<seq>", or "<epoch>:<txid>.<seq>" on PostgreSQL: after the last change pulled
    assert re.fullmatch(rf"{epoch_of(server)}:(\d+\.)?{seqs[-1]}", client.cursor)
    titles = [c["data"]["title"] for c in paged if c["entity"] == "order"]
    assert titles == [f"订单 {n}" for n in range(5)]
    # Caught up: an empty page that keeps the cursor where it is.
    last = client.pull(limit=2)
    assert (last["changes"], last["has_more"], last["next_cursor"]) == ([], False, client.cursor)
    assert last["last_seq"] == 5 and last["reset"] is False


def test_the_encoded_page_is_the_page_and_large_ones_are_gzipped(server: Server) -> None:
    """The route encodes pages around the stored payload text; what a client decodes is what
    the service computes, with or without gzip (which only answers of 1 KB or more get)."""
    device = Device(server, server.register("client"))
    for n in range(30):
        device.apply("post_order", **order_args(title=f'网站 \\“{n}" ＬＯＧＯ·设计'))
    user, token = device.user, device.user["token"]
    actor = Actor(user["id"], user["email"], user["name"], frozenset(user["roles"]))

    def expected(cursor: str, limit: int) -> dict[str, Any]:
        with server.db.read() as conn:
            return pull_changes(conn, actor, cursor=cursor, limit=limit, client_id=device.client_id)

    large = expected("", 25)
    assert large["last_seq"] == 30 and large["has_more"]
    assert any("\\“" in c["data"].get("title", "") for c in large["changes"])
    params = {"cursor": "", "client_id": device.client_id, "limit": 25}
    for encoding, gzipped in [("gzip", True), ("identity", False), ("gzip;q=0, *", False)]:
        headers = {"Accept-Encoding": encoding}
        answer = server.request("GET", "/v1/sync/pull", token, params=params, headers=headers)
        assert answer.status_code == 200
        assert (answer.headers.get("content-encoding") == "gzip") is gzipped, encoding
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == large
    small = {**params, "cursor": large["next_cursor"], "limit": 1}
    answer = server.request("GET", "/v1/sync/pull", token, params=small)
    assert "content-encoding" not in answer.headers
    assert answer.json() == expected(large["next_cursor"], 1)


def test_other_users_bids_and_messages_never_reach_my_pull(server: Server) -> None:
    client = Device(server, server.register("client"))
    bidder = Device(server, server.register("freelancer"))
    stranger = Device(server, server.register("freelancer"))
    order = client.apply("post_order", **order_args())
    bid = bidder.apply("place_bid", order_id=order["id"], amount_fen=400_000, days=5)
    note = bidder.apply("send_message", order_id=order["id"], text="我的电话在私信里")
    reply = client.apply("send_message", order_id=order["id"], text="好的", to=bidder.user["id"])

    def seen(device: Device) -> set[tuple[str, str]]:
        return {(c["entity"], c["id"]) for c in device.pull_all()}

    private = {("bid", bid["id"]), ("message", note["id"]), ("message", reply["id"])}
    assert ("order", order["id"]) in seen(stranger)
    assert not seen(stranger) & private
    assert not {entity for entity, _ in seen(stranger)} & {"bid", "message"}
    assert private <= seen(client)
    assert private <= seen(bidder)


def test_a_cursor_from_another_epoch_resets(server: Server) -> None:
    device = Device(server, server.register("client"))
    device.apply("post_order", **order_args())
    epoch = epoch_of(server)
    for cursor in ("0123456789ab:3", "garbage", f"{epoch}:-1", f"{epoch}:99999999"):
        page = device.pull(cursor=cursor)
        assert page["reset"] is True, cursor
        assert page["changes"] == []
        assert page["next_cursor"] == f"{epoch}:0"
        assert page["has_more"] is True
        assert page["epoch"] == epoch
    assert device.pull(cursor=f"{epoch}:0")["changes"]
    assert device.pull(cursor="")["changes"] == device.pull(cursor=f"{epoch}:0")["changes"]


def test_pull_bounds_and_ownership(sqlite_server: Server) -> None:
    server = sqlite_server
    mine = Device(server, server.register("client"))
    mine.apply("post_order", **order_args())
    token = mine.user["token"]
    for params in ({"limit": 0}, {"limit": 5001}, {"cursor": "x" * 101}):
        response = server.request("GET", "/v1/sync/pull", token, params=params)
        assert response.status_code == 422, params
    assert server.client.get("/v1/sync/pull").status_code == 401
    assert mine.pull()["last_seq"] == 1
    other = server.register("client")
    response = server.request(
        "GET", "/v1/sync/pull", other["token"], params={"client_id": mine.client_id}
    )
    assert response.status_code == 404
    unknown = server.request("GET", "/v1/sync/pull", token, params={"client_id": "new-device"})
    assert unknown.json()["last_seq"] == 0


def test_a_page_is_read_through_indexes(server: Server) -> None:
    """Complexity, not time: on a large log a page is two index range scans (public changes,
    the caller's audience rows) and primary-key lookups — never a scan of the log."""
    with server.db.write() as conn:
        _fill_log(conn, rows=50_000)
    with server.db.read() as conn:
        below = 2**62 if server.db.is_postgres else None  # under a horizon, as pulls read
        query = visible_changes("u7", (0, 100), 101, below)
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if server.db.is_postgres:
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
            assert "Seq Scan" not in plan, plan
        else:
            plan = "\n".join(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            scans = [line for line in plan.splitlines() if line.startswith("SCAN change")]
            assert scans == [], plan
        assert "ix_change_log_public_txid_seq" in plan
        assert "change_audience" in plan


def _fill_log(conn: Any, *, rows: int) -> None:
    """`rows` changes, one in twenty public, the rest addressed to one of 100 users."""
    if conn.dialect.name == "postgresql":
        numbers = f"SELECT g AS n FROM generate_series(1, {rows}) g"
        conn.execute(
            text(
                "INSERT INTO change_log (entity, entity_id, op, payload, public, created_at) "
                f"SELECT 'order', n::text, 'put', '{{}}', n % 20 = 0, now() FROM ({numbers}) s"
            )
        )
        conn.execute(
            text(
                "INSERT INTO change_audience (user_id, seq) "
                f"SELECT 'u' || (n % 100), n FROM ({numbers}) s WHERE n % 20 <> 0"
            )
        )
        conn.execute(text("ANALYZE change_log"))
        conn.execute(text("ANALYZE change_audience"))
        return
    numbers = f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {rows})"
    conn.execute(
        text(
            f"{numbers} INSERT INTO change_log (entity, entity_id, op, payload, public, created_at)"
            " SELECT 'order', n, 'put', '{}', n % 20 = 0, '2026-11-25 09:00:00' FROM g"
        )
    )
    conn.execute(
        text(
            f"{numbers} INSERT INTO change_audience (user_id, seq)"
            " SELECT 'u' || (n % 100), n FROM g WHERE n % 20 <> 0"
        )
    )
    conn.execute(text("ANALYZE"))


# ---- a server restored from an older backup ----------------------------------------------


def _backup(url: str, to: Path) -> None:
    """An online backup, as `sqlite3 server.db .backup` takes it."""
    source = sqlite3.connect(url.removeprefix("sqlite:///"))
    target = sqlite3.connect(to)
    with target:
        source.backup(target)
    source.close()
    target.close()


def _restore(url: str, backup: Path) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(backup, path)


def _rotate_epoch(url: str) -> None:
    result = CliRunner().invoke(server_cli, ["rotate-epoch", "--database-url", url])
    assert result.exit_code == 0, result.output


def _restored_market(sqlite_url: str, tmp_path: Path) -> tuple[Server, Device, dict[str, Any]]:
    """A freelancer's device that synced past a backup, then pushed an operation whose reply
    it never got; the server is then restored from the backup. Returns the server (stopped),
    the device — still holding that operation — and that operation."""
    server = make_server(sqlite_url, **CALM)
    with server.client:
        client = Device(server, server.register("client"))
        freelancer = Device(server, server.register("freelancer"))
        order = client.apply("post_order", **order_args())
        freelancer.apply("place_bid", order_id=order["id"], amount_fen=300_000, days=3)
        freelancer.pull_all()
        _backup(sqlite_url, tmp_path / "backup.db")
        freelancer.apply("send_message", order_id=order["id"], text="备份之后的消息")
        freelancer.pull_all()
        pending = freelancer.op("send_message", order_id=order["id"], text="回复丢了的消息")
        assert freelancer.push(pending).status_code == 200  # …and the reply is lost
    server.db.dispose()
    _restore(sqlite_url, tmp_path / "backup.db")
    return server, freelancer, pending


def test_after_a_restore_the_client_resets_and_its_pending_op_applies_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    _old, freelancer, pending = _restored_market(sqlite_url, tmp_path)
    _rotate_epoch(sqlite_url)
    server = make_server(sqlite_url, **CALM)
    with server.client:
        freelancer.server = server
        assert not freelancer.cursor.startswith(epoch_of(server))
        # New writes carry the log past the device's cursor: only the epoch can tell.
        client = Device(server, server.register("client"))
        for _ in range(6):
            client.apply("post_order", **order_args())
        page = freelancer.pull()
        assert page["reset"] is True
        rebuilt = freelancer.pull_all()
        texts = [c["data"]["text"] for c in rebuilt if c["entity"] == "message"]
        assert texts == []  # the message after the backup is gone with the restore
        # The device sends its unconfirmed operation again; the server lost seq 2 and 3, so
        # it asks for 2, and the device renumbers its queue from there.
        (gap,) = freelancer.push_ok(pending)
        assert (gap["status"], gap["expected_seq"]) == ("gap", 2)
        (applied,) = freelancer.push_ok({**pending, "seq": 2})
        assert applied["status"] == "applied"
        (again,) = freelancer.push_ok({**pending, "seq": 2})
        assert again["status"] == "duplicate"
        with server.db.read() as conn:
            stored = conn.execute(select(messages.c.text)).scalars().all()
        assert stored == ["回复丢了的消息"]
        texts = [c["data"]["text"] for c in freelancer.pull_all() if c["entity"] == "message"]
        assert texts == ["回复丢了的消息"]


def test_a_restore_without_rotation_still_resets_a_cursor_ahead_of_the_log(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Defence in depth: a cursor beyond the restored log's head can only come from the lost
    future, so it resets too — until new writes pass it, which is why the restore runbook
    rotates the epoch."""
    _old, freelancer, _pending = _restored_market(sqlite_url, tmp_path)
    server = make_server(sqlite_url, **CALM)
    with server.client:
        freelancer.server = server
        assert freelancer.pull()["reset"] is True


def test_rotate_epoch_changes_the_epoch(server: Server) -> None:
    from jiedan_cli.server.services.sync_pull import rotate_epoch

    before = epoch_of(server)
    with server.db.write() as conn:
        after = rotate_epoch(conn)
    assert after != before and epoch_of(server) == after
