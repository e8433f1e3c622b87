"""A bid's cost in statements (#8 P6, #12), on SQLite and PostgreSQL: placing a bid through the
API sends the same few statements whatever the freelancer did before — the risk engine's facts
one SELECT, its record one INSERT — and no more as the freelancer's bids pile up (a complexity
test: performance.md asks for those, never a wall-clock time)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from jiedan_cli.domain.risk import Action, facts_read
from tests.server.conftest import Server
from tests.server.devices import Device
from tests.server.market import place_bid, post_order
from tests.server.test_risk_facts import assessments, register

# A bid's own: the order read (locked on PostgreSQL; whether the bid's id is taken in the
# same read), the unverified freelancer's bids today (the daily cap), the risk facts, the
# bid, the order's bid count; and the risk gate's savepoint around the action (SAVEPOINT,
# RELEASE: services/holds.gated, which undoes a held action; db.engine.savepoint).
PER_BID = 7
# What a write transaction appends last, once whatever it holds (db.engine.deferred): the
# change log's entries in one INSERT, their audiences in one, the risk records in one.
PER_WRITE = 3
# On SQLite a REST bid is a member of a group commit (api/write_thread.py): its write is a
# savepoint of the group's transaction (SAVEPOINT, RELEASE), alone in it or not.
PER_MEMBER = 2
# The sign-in's session read is the auth cache's business (an occasional miss), not the
# bid's: counted apart.
AUTH = "SELECT sessions (auth)"


def _kind(statement: str) -> str:
    words = statement.split()
    if words[0].upper() == "SELECT" and " sessions" in statement:
        return AUTH
    if words[0].upper() in ("INSERT", "DELETE"):
        return f"{words[0].upper()} {words[2]}"
    if words[0].upper() == "UPDATE":
        return f"UPDATE {words[1]}"
    return words[0].upper()


@contextmanager
def statements(server: Server) -> Iterator[Counter[str]]:
    seen: Counter[str] = Counter()

    def count_it(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen[_kind(statement)] += 1

    event.listen(server.db.engine, "before_cursor_execute", count_it)
    try:
        yield seen
    finally:
        event.remove(server.db.engine, "before_cursor_execute", count_it)


def test_a_bid_is_a_fixed_handful_of_statements(calm_server: Server) -> None:
    server = calm_server
    client, freelancer = register(server, "client"), register(server, "freelancer")
    orders = [post_order(server, client) for _ in range(12)]
    place_bid(server, freelancer, orders[0]["id"])  # the session read, once
    counted = []
    for order in orders[1:]:
        with statements(server) as seen:
            place_bid(server, freelancer, order["id"])
        counted.append(seen)
    for seen in counted:
        seen.pop(AUTH, None)
    first, last = counted[0], counted[-1]
    member = PER_MEMBER if server.db.is_sqlite else 0
    assert sum(first.values()) == PER_BID + member + PER_WRITE, first
    assert last == first, (first, last)  # the tenth bid costs what the first did
    assert first["INSERT risk_assessments"] == 1 and first["INSERT bids"] == 1
    assert first["INSERT change_log"] == first["INSERT change_audience"] == 1
    assert first["SELECT"] == 3  # the order to bid on, the daily cap, every risk fact in one
    assert first["SAVEPOINT"] == first["RELEASE"] == 1 + member // 2
    bids = [row for row in assessments(server, freelancer["id"]) if row.action == "bid"]
    assert len(bids) == len(orders)
    assert set(bids[-1].facts) == facts_read(Action.BID)
    assert bids[-1].facts["bids_in_window"] == len(orders) - 1  # a minute, same clock


# What a push adds to its operations (sync_push.push_group), once per group of operations: the
# client's row read (locked on PostgreSQL), every op_id looked up in one statement, the
# outcomes stored in one, `last_seq` advanced once, and the last_seq read for the answer.
PER_PUSH = 5


def test_pushed_bids_cost_their_own_statements_and_the_push_a_constant(
    calm_server: Server,
) -> None:
    # A complexity test (P4): draining a queue of bids sends each bid's statements and a
    # fixed few per push, not a transaction's bookkeeping per operation (18 a bid before;
    # 11, the change log's three INSERTs and the risk record's one among them, before #15's
    # second pass).
    server = calm_server
    client, user = register(server, "client"), register(server, "freelancer")
    orders = [post_order(server, client) for _ in range(14)]
    freelancer = Device(server, user)
    bid = place_bid(server, user, orders[0]["id"])  # the session read, once; REST, to compare
    assert bid["amount_fen"] > 0
    with statements(server) as rest:
        place_bid(server, user, orders[1]["id"])
    rest.pop(AUTH, None)

    def pushed(batch: list[dict[str, Any]]) -> Counter[str]:
        ops = [
            freelancer.op("place_bid", order_id=o["id"], amount_fen=90_000, days=5) for o in batch
        ]
        with statements(server) as seen:
            results = freelancer.push_ok(*ops)
        assert [r["status"] for r in results] == ["applied"] * len(ops)
        seen.pop(AUTH, None)
        return seen

    pushed(orders[2:3])  # the device's first push: its sync client and device link made
    one, ten = pushed(orders[3:4]), pushed(orders[4:14])  # 14 bids: the daily cap is 20
    assert sum(rest.values()) == PER_BID + (PER_MEMBER if server.db.is_sqlite else 0) + PER_WRITE
    assert sum(one.values()) == PER_BID + PER_WRITE + PER_PUSH, one
    assert sum(ten.values()) == 10 * PER_BID + PER_WRITE + PER_PUSH, ten
    # 10 rows (20 changes), one statement each
    for kind in ("sync_ops", "change_log", "change_audience", "risk_assessments"):
        assert one[f"INSERT {kind}"] == ten[f"INSERT {kind}"] == 1, kind
