"""Statements on the driver's cursor (db/driver.py), on SQLite and PostgreSQL: a bid's order
read and its writes give the rows SQLAlchemy gives (times, JSON, flags through their types),
the engine's cursor listeners see them, and a constraint's failure is SQLAlchemy's
IntegrityError, as a bid racing its twin needs (services/bids.place_bid)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from jiedan_cli.server.services import bids as bid_service
from tests.server.conftest import Server
from tests.server.market import place_bid, post_order

pytestmark = pytest.mark.calm


def test_the_bid_statements_give_what_sqlalchemy_gives(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order = post_order(server, client, deadline="2026-12-31")
    bid = place_bid(server, freelancer, order["id"])
    params = {"of_order": order["id"], "freelancer_id": freelancer["id"], "bid_id": bid["id"]}
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split()[0])

    event.listen(server.db.engine, "before_cursor_execute", note)
    try:
        with server.db.write() as conn:
            through_sqlalchemy = conn.execute(bid_service._ORDER_TO_BID_ON, params).one()
            direct = bid_service._READ_ORDER.first(conn, params)
            assert direct._asdict() == through_sqlalchemy._asdict()
            assert direct.has_live_bid and direct.bid_taken and direct.status == "open"
            now = server.clock()
            counted = bid_service._WRITE_BID_COUNT.one(conn, {"of_order": order["id"], "now": now})
            assert counted.bid_count == 1 and counted.updated_at == now
            # the whole order, as the public is sent it: JSON, times and dates converted
            assert counted.tags == ["logo", "品牌"] and counted.deadline.year == 2026
            assert counted.created_at.tzinfo is not None
            assert bid_service._READ_ORDER.first(conn, {**params, "of_order": "none"}) is None
    finally:
        event.remove(server.db.engine, "before_cursor_execute", note)
    assert seen.count("SELECT") == 3 and seen.count("UPDATE") == 1  # the listeners saw them


def test_a_taken_bid_id_is_an_integrity_error(server: Server) -> None:
    client, freelancer = server.register("client"), server.register("freelancer")
    order, other = post_order(server, client), post_order(server, client)
    bid = place_bid(server, freelancer, order["id"])
    now = server.clock()
    twin = {
        "id": bid["id"],
        "order_id": order["id"],
        "freelancer_id": freelancer["id"],
        "amount_fen": 80_000,
        "days": 7,
        "message": "",
        "status": "submitted",
        "flagged": False,
        "created_at": now,
        "updated_at": now,
    }
    with pytest.raises(IntegrityError), server.db.write() as conn:
        bid_service._WRITE_BID.one(conn, twin)
    fresh = {**twin, "id": str(uuid.uuid4()), "order_id": other["id"], "flagged": True}
    with server.db.write() as conn:  # a fresh one goes in, and comes back as written
        written = bid_service._WRITE_BID.one(conn, fresh)
    assert written._asdict() == fresh
