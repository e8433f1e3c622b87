"""When the server expects another seq than ours: a server restored from an older backup
(a new epoch: the replica is rebuilt, pending operations pushed again), and two replicas
sharing one client_id (a copied replica file). Either way every pending operation is
applied exactly once and no seq is refused forever."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import select

from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import bids, messages, sync_clients, sync_ops
from jiedan_cli.server.services.sync_pull import rotate_epoch
from jiedan_cli.store.outbox import resequence
from jiedan_cli.store.state import sync_state
from tests.sync.conftest import LiveServer, Replica


def server_copy(replica: Replica) -> dict[str, set[str]]:
    return {t: replica.table_ids(t) for t in ("orders", "bids", "messages")}


def copy_sqlite(source: str | Path, target: Path) -> None:
    src = sqlite3.connect(str(source))
    dst = sqlite3.connect(str(target))
    src.backup(dst)
    dst.close()
    src.close()


def test_a_server_restored_from_an_older_backup_resets_the_replica_and_pending_ops_apply_once(
    live_server: LiveServer, make_replica: Any, tmp_path: Path
) -> None:
    poster = make_replica()
    order_id = poster.post_order()
    poster.sync()
    freelancer = make_replica()
    bid_id = freelancer.bid(order_id)
    freelancer.sync()
    server_file = Path(live_server.database_url.removeprefix("sqlite:///"))
    copy_sqlite(server_file, tmp_path / "backup.db")  # the backup: knows seq 1 of this client
    lost = freelancer.message(order_id, "备份之后的消息")
    freelancer.sync()  # seq 2: applied, then lost with the restore
    live_server.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{server_file}{suffix}").unlink(missing_ok=True)
    copy_sqlite(tmp_path / "backup.db", server_file)
    with Database(live_server.database_url).write() as conn:
        rotate_epoch(conn)  # what `jiedan server rotate-epoch` does after a restore
    restored = LiveServer(live_server.database_url)
    try:
        freelancer.use(restored.url)
        kept = freelancer.message(order_id, "恢复之后的消息")  # seq 3 here, 2 on the server

        report = freelancer.sync()

        assert report.reset and report.pushed == 1 and report.pending == 0
        assert restored.count(messages, messages.c.id == kept) == 1
        assert restored.count(messages, messages.c.id == lost) == 0
        assert restored.count(bids, bids.c.id == bid_id) == 1
        client_id = sync_state(freelancer.conn).client_id
        (last_seq,) = restored.rows(
            select(sync_clients.c.last_seq).where(sync_clients.c.client_id == client_id)
        )
        assert last_seq[0] == 2
        assert restored.count(sync_ops, sync_ops.c.client_id == client_id) == 2
        assert server_copy(freelancer)["messages"] == {kept}  # rebuilt: the lost one is gone
        fresh = make_replica(user=freelancer.user, url=restored.url)
        fresh.sync()
        assert server_copy(fresh) == server_copy(freelancer)
        assert freelancer.sync().as_dict() == {
            "pushed": 0,
            "rejected": 0,
            "pulled": 0,
            "pending": 0,
        }
    finally:
        restored.stop()


def test_two_replicas_sharing_a_client_id_renumber_and_both_apply_once(
    live_server: LiveServer, make_replica: Any, tmp_path: Path
) -> None:
    poster = make_replica()
    first_order, second_order = poster.post_order(), poster.post_order()
    poster.sync()
    original = make_replica()
    original.sync()
    copy_sqlite(original.path, tmp_path / "copied.db")
    copied = Replica(tmp_path / "copied.db", original.user, live_server.url)
    try:
        assert sync_state(copied.conn).client_id == sync_state(original.conn).client_id
        from_original = original.bid(first_order)  # seq 1
        from_copy = copied.bid(second_order)  # also seq 1, another op_id

        original.sync()
        report = copied.sync()  # seq 1 is taken: the server says "conflict, send it as 2"

        assert report.pushed == 1 and report.pending == 0
        assert live_server.count(bids, bids.c.id.in_([from_original, from_copy])) == 2
        original.sync()
        assert original.table_ids("bids") == copied.table_ids("bids") == {from_original, from_copy}
    finally:
        copied.close()


def test_resequence_moves_pending_ops_and_parks_history_out_of_the_way(
    live_server: LiveServer, make_replica: Any
) -> None:
    replica = make_replica()
    ops = [replica.queue("send_message", "message", None, text=str(n)) for n in range(5)]
    replica.conn.execute("UPDATE outbox SET state = 'done' WHERE seq IN (1, 2)")
    replica.conn.execute("UPDATE outbox SET state = 'rejected' WHERE seq = 4")

    resequence(replica.conn, 2)  # the server knows this client up to seq 1

    rows = replica.conn.execute("SELECT seq, op_id, state FROM outbox ORDER BY seq").fetchall()
    pending = [(r["seq"], r["op_id"]) for r in rows if r["state"] == "pending"]
    assert pending == [(2, ops[2]), (3, ops[4])]  # in their order, from 2 on
    history = [(r["op_id"], r["state"]) for r in rows if r["state"] != "pending"]
    assert sorted(history) == sorted([(ops[0], "done"), (ops[1], "done"), (ops[3], "rejected")])
    assert all(r["seq"] < 2 for r in rows if r["state"] != "pending")
    assert sync_state(replica.conn).next_seq == 4
    assert (
        replica.queue("send_message", "message", None, text="next")
        == replica.conn.execute("SELECT op_id FROM outbox WHERE seq = 4").fetchone()[0]
    )
