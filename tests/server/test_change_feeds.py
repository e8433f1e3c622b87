"""The change log's registry (services/changes.py): every kind has one feed, registered by the
module that owns it; publishing writes the feed's view to its audience, last, after every
row lock of the transaction and only if the transaction (or savepoint) commits; the seeder
writes exactly what publishing its rows would."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

import pytest
from sqlalchemy import func, select

from jiedan_cli.domain.ledger import Transfer, external, freelancer_available
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import bids, change_audience, change_log, milestones, orders
from jiedan_cli.server.db.tables import reviews as review_table
from jiedan_cli.server.seed import seed_marketplace
from jiedan_cli.server.services import changes
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.bids import bid_view
from jiedan_cli.server.services.changes import PUBLIC, Kind, LiveContext, publish
from jiedan_cli.server.services.ledger import post_transfer
from jiedan_cli.server.services.order_views import order_view
from jiedan_cli.server.services.orders import cancel_order
from jiedan_cli.server.services.users import user_row, user_view
from tests.server.conftest import Server
from tests.server.market import place_bid, post_order
from tests.server.statements import Statements

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _log(db: Database, after: int = 0) -> list[dict[str, Any]]:
    """The change-log rows after seq `after`, oldest first, with their audience."""
    with db.read() as conn:
        rows = conn.execute(
            select(change_log).where(change_log.c.seq > after).order_by(change_log.c.seq)
        ).all()
        addressed: defaultdict[int, set[str]] = defaultdict(set)
        for seq, user in conn.execute(
            select(change_audience.c.seq, change_audience.c.user_id).where(
                change_audience.c.seq > after
            )
        ):
            addressed[seq].add(user)
    return [
        {
            "entity": row.entity,
            "entity_id": row.entity_id,
            "op": row.op,
            "payload": row.payload,
            "public": row.public,
            "audience": addressed[row.seq],
        }
        for row in rows
    ]


def _head(db: Database) -> int:
    with db.read() as conn:
        return int(conn.scalar(select(func.coalesce(func.max(change_log.c.seq), 0))) or 0)


def _actor(user: dict[str, Any]) -> Actor:
    return Actor(user["id"], user["email"], user["name"], frozenset({"client"}))


def test_every_kind_has_one_feed_registered_by_its_owner() -> None:
    assert set(changes.OWNERS) == set(Kind)
    for kind, owner in changes.OWNERS.items():
        module = import_module(f"jiedan_cli.server.services.{owner}")
        assert changes.FEEDS[kind].audience.__module__ == module.__name__, kind
    with pytest.raises(RuntimeError, match="registered already"):
        changes.register(Kind.BID, view=dict, audience=lambda row, _: PUBLIC)


def test_publish_writes_the_view_to_its_audience_at_the_commit(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client)
    bid = place_bid(server, freelancer, order["id"])
    before = _head(server.db)
    with server.db.write() as conn:
        order_row = conn.execute(select(orders).where(orders.c.id == order["id"])).one()
        bid_row = conn.execute(select(bids).where(bids.c.id == bid["id"])).one()
        me = user_row(conn, client["id"])
        publish(conn, Kind.ORDER, order_row, now=NOW)
        publish(conn, Kind.BID, bid_row, now=NOW, order=order_row)
        publish(conn, Kind.USER, me, now=NOW)
        changes.publish_deletion(
            conn, Kind.PROFILE, client["id"], audience=(client["id"],), now=NOW
        )
        # buffered: nothing is appended before the commit
        assert conn.scalar(select(func.max(change_log.c.seq))) == before
    assert _log(server.db, before) == [
        {
            "entity": "order",
            "entity_id": order["id"],
            "op": "put",
            "payload": order_view(order_row),
            "public": True,
            "audience": set(),
        },
        {
            "entity": "bid",
            "entity_id": bid["id"],
            "op": "put",
            "payload": bid_view(bid_row),
            "public": False,
            "audience": {client["id"], freelancer["id"]},
        },
        {
            "entity": "user",
            "entity_id": client["id"],
            "op": "put",
            "payload": user_view(me),
            "public": False,
            "audience": {client["id"]},
        },
        {
            "entity": "profile",
            "entity_id": client["id"],
            "op": "delete",
            "payload": None,
            "public": False,
            "audience": {client["id"]},
        },
    ]


class Undone(Exception):
    pass


def test_a_rolled_back_savepoint_publishes_nothing(server: Server) -> None:
    client = server.register("client")
    before = _head(server.db)
    with server.db.write() as conn:
        me = user_row(conn, client["id"])
        publish(conn, Kind.USER, me, now=NOW)
        with pytest.raises(Undone), conn.begin_nested():
            changes.publish_deletion(conn, Kind.PROFILE, me.id, audience=(me.id,), now=NOW)
            with conn.begin_nested():  # released into the savepoint that rolls back
                publish(conn, Kind.USER, me, now=NOW)
            raise Undone
        with conn.begin_nested():  # released: kept
            changes.publish_deletion(conn, Kind.ORDER, "gone", audience=PUBLIC, now=NOW)
    assert [(c["entity"], c["op"]) for c in _log(server.db, before)] == [
        ("user", "put"),
        ("order", "delete"),
    ]


def test_a_rolled_back_transaction_publishes_nothing(server: Server) -> None:
    client = server.register("client")
    before = _head(server.db)
    with pytest.raises(Undone), server.db.write() as conn:
        publish(conn, Kind.USER, user_row(conn, client["id"]), now=NOW)
        raise Undone
    assert _log(server.db, before) == []


def _positions(seen: list[str], *starts: str) -> list[int]:
    return [n for n, sql in enumerate(seen) if sql.startswith(starts)]


@pytest.fixture
def awarded(server: Server) -> Iterator[tuple[dict[str, Any], str]]:
    """(client, order id): an awarded order with its default milestone, and a losing bid."""
    client = server.register("client")
    winner, loser = server.register("freelancer"), server.register("freelancer")
    order = post_order(server, client)
    bid = place_bid(server, winner, order["id"])
    place_bid(server, loser, order["id"], amount_fen=90_000)
    response = server.request(
        "POST", f"/v1/orders/{order['id']}/award", client["token"], json={"bid_id": bid["id"]}
    )
    assert response.status_code == 200, response.text
    yield client, order["id"]


def test_cancel_order_appends_after_its_row_locks(
    server: Server, awarded: tuple[dict[str, Any], str]
) -> None:
    client, order_id = awarded
    with Statements(server.db) as seen, server.db.write() as conn:
        cancel_order(conn, _actor(client), order_id, now=NOW)
    appends = _positions(seen, "insert into change_log")
    milestone_writes = _positions(seen, "update milestones")
    writes = _positions(seen, "update orders", "update milestones", "update bids")
    assert appends and milestone_writes and writes
    # the order row, then its milestones, then the bids; every append after all of them
    assert min(milestone_writes) < min(_positions(seen, "update bids") or [len(seen)])
    assert max(writes) < min(appends)
    with server.db.read() as conn:
        statuses = conn.scalars(
            select(milestones.c.status).where(milestones.c.order_id == order_id)
        )
        assert set(statuses) == {"cancelled"}


def test_shared_ledger_accounts_move_before_the_first_append(server: Server) -> None:
    freelancer = server.register("freelancer")
    transfer = Transfer(
        "promotion:feeds",
        external("sandbox"),
        freelancer_available(freelancer["id"]),
        500,
        "promotion",
    )
    with Statements(server.db) as seen, server.db.write() as conn:
        post_transfer(conn, transfer, now=NOW)
    balances = _positions(seen, "update ledger_accounts")
    appends = _positions(seen, "insert into change_log")
    assert len(balances) == 2 and appends
    assert max(balances) < min(appends)


def _as_logged(entry: changes.Entry) -> tuple[Any, ...]:
    if isinstance(entry.audience, changes.Public):
        return (entry.op, entry.payload, True, set())
    return (entry.op, entry.payload, False, {u for u in entry.audience if u})


def test_the_seeders_rows_are_what_publishing_them_writes(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    try:
        seed_marketplace(db, orders=60, clients=6, freelancers=12, now=NOW)
        seeded: defaultdict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
        for change in _log(db):
            if change["entity"] in ("order", "bid", "milestone", "review"):
                key = (change["entity"], change["entity_id"])
                seeded[key].append(
                    (change["op"], change["payload"], change["public"], change["audience"])
                )
        expected: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        tables = {
            Kind.ORDER: orders,
            Kind.BID: bids,
            Kind.MILESTONE: milestones,
            Kind.REVIEW: review_table,
        }
        with db.read() as conn:
            for kind, table in tables.items():
                for row in conn.execute(select(table)):
                    found = changes.entries(kind, row, LiveContext(conn), once=True)
                    expected[(str(kind), row.id)] = [_as_logged(e) for e in found]
        assert seeded == expected
        kinds = {kind for kind, _ in seeded}
        assert kinds == {"order", "bid", "milestone", "review"}
    finally:
        db.dispose()
