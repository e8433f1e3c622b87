"""The server and the offline client refuse alike (domain/moves.py): every move, from every
order status, by every seat at the order — its client, its awarded freelancer, another
bidder, a stranger — is tried on the server (its service, in a transaction rolled back) and
on that user's replica pulled from the same server (store.actions, its outbox emptied after),
and both refuse with the same code and exit code, or both take it.

Two differences are the replica's by design and are checked as such: a stranger's replica
holds no order that is no longer open (the server drops it from theirs), so the client
queues the move and the server answers not_found; and a bidder who lost the order holds it
as `awarded`, closed to them (order_views.closed_view), so where the server names the real
status (order_completed …) the client names that one (order_awarded)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jiedan_cli.commands.exit_codes import exit_code_for
from jiedan_cli.domain.errors import JiedanError
from jiedan_cli.server.services import bids, escrow, funding, messages, orders, reviews
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.sync_pull import pull_changes
from jiedan_cli.store import actions
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import SHA, act, ok
from tests.server.market import award, place_bid, post_order

STATUSES = ("open", "awarded", "in_progress", "delivered", "completed", "disputed", "cancelled")
ROLES = ("client", "freelancer", "bidder", "stranger")
FILES = [{"name": "logo.ai", "size": 2048, "sha256": SHA}]


@dataclass
class Market:
    """One order in each status, the four users, and each user's replica."""

    server: Server
    users: dict[str, dict[str, Any]]
    orders: dict[str, str] = field(default_factory=dict)  # status → order id
    bids: dict[tuple[str, str], str] = field(default_factory=dict)  # (status, role) → bid id
    replicas: dict[str, sqlite3.Connection] = field(default_factory=dict)

    def actor(self, role: str) -> Actor:
        user = self.users[role]
        return Actor(user["id"], user["email"], user["name"], frozenset(user["roles"]))


def _build_order(market: Market, status: str) -> None:
    server, users = market.server, market.users
    client, freelancer = users["client"], users["freelancer"]
    order_id = post_order(server, client)["id"]
    market.orders[status] = order_id
    market.bids[status, "bidder"] = place_bid(server, users["bidder"], order_id)["id"]
    if status == "open":
        return
    mine = place_bid(server, freelancer, order_id, amount_fen=90_000)["id"]
    market.bids[status, "freelancer"] = mine
    award(server, client, order_id, mine)
    if status == "cancelled":
        ok(act(server, client, order_id, "cancel"))
    if status in ("awarded", "cancelled"):
        return
    assert ok(act(server, client, order_id, "fund"))["order"]["status"] == "in_progress"
    if status == "disputed":
        ok(act(server, client, order_id, "dispute", reason="交付延期"))
    if status in ("in_progress", "disputed"):
        return
    ok(act(server, freelancer, order_id, "deliveries", note="初稿", files=FILES), 201)
    if status == "completed":
        ok(act(server, client, order_id, "accept"))


def _pull(market: Market, role: str, path: Path) -> sqlite3.Connection:
    replica = open_db(path)
    replica.execute("UPDATE sync_state SET user_id = ?", (market.users[role]["id"],))
    cursor = None
    with market.server.db.read() as conn:
        while True:
            page = pull_changes(conn, market.actor(role), cursor=cursor, limit=500)
            apply_page(replica, page)
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
    return replica


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    folder = tmp_path_factory.mktemp("moves")
    server = make_server(f"sqlite:///{folder / 'server.db'}")
    with server.client:
        users = {role: server.register("both") for role in ROLES}
        built = Market(server, users)
        for status in STATUSES:
            _build_order(built, status)
        built.replicas = {role: _pull(built, role, folder / f"{role}.db") for role in ROLES}
        yield built
        for replica in built.replicas.values():
            replica.close()


# ---- the moves, each as the server's service and as store.actions -------------------------

Call = Callable[[Any, Any, str, dict[str, Any]], Any]  # (conn, actor or None, order id, facts)


def _bid_of(market: Market, status: str, role: str) -> str:
    """The bid a role would change: its own on the order, else the other bidder's."""
    return market.bids.get((status, role)) or market.bids[status, "bidder"]


def _to(market: Market, status: str, role: str) -> str | None:
    """Whom a message goes to: the client names the bidder while nobody was awarded."""
    return market.users["bidder"]["id"] if role == "client" and status == "open" else None


SERVER: dict[str, Call] = {
    "fund": lambda c, a, o, f: funding.fund_order(c, a, order_id=o, now=f["now"]),
    "deliver": lambda c, a, o, f: escrow.deliver(
        c, a, order_id=o, note="初稿", files=FILES, now=f["now"]
    ),
    "accept": lambda c, a, o, f: escrow.accept_order(c, a, order_id=o, now=f["now"]),
    "revise": lambda c, a, o, f: escrow.request_revision(
        c, a, order_id=o, note="再改改", now=f["now"]
    ),
    "review": lambda c, a, o, f: reviews.write_review(c, a, order_id=o, stars=5, now=f["now"]),
    "dispute": lambda c, a, o, f: escrow.open_dispute(
        c, a, order_id=o, reason="交付延期", now=f["now"]
    ),
    "cancel": lambda c, a, o, f: orders.cancel_order(c, a, o, now=f["now"]),
    "award": lambda c, a, o, f: bids.award_bid(c, a, order_id=o, bid_id=f["bid"], now=f["now"]),
    "bid": lambda c, a, o, f: bids.place_bid(
        c, a, order_id=o, amount_fen=70_000, days=3, now=f["now"]
    ),
    "update_bid": lambda c, a, o, f: bids.update_bid(c, a, f["bid"], days=4, now=f["now"]),
    "withdraw_bid": lambda c, a, o, f: bids.withdraw_bid(c, a, f["bid"], now=f["now"]),
    "message": lambda c, a, o, f: messages.send_message(
        c, a, order_id=o, text="你好", to_user_id=f["to"], now=f["now"]
    ),
}

CLIENT: dict[str, Call] = {
    "fund": lambda c, _a, o, _f: actions.fund(c, order_id=o),
    "deliver": lambda c, _a, o, _f: actions.deliver(c, order_id=o, note="初稿", files=FILES),
    "accept": lambda c, _a, o, _f: actions.accept(c, order_id=o),
    "revise": lambda c, _a, o, _f: actions.revise(c, order_id=o, note="再改改"),
    "review": lambda c, _a, o, _f: actions.write_review(c, order_id=o, stars=5),
    "dispute": lambda c, _a, o, _f: actions.open_dispute(c, order_id=o, reason="交付延期"),
    "cancel": lambda c, _a, o, _f: actions.cancel(c, order_id=o),
    "award": lambda c, _a, o, f: actions.award(c, order_id=o, bid_id=f["bid"]),
    "bid": lambda c, _a, o, _f: actions.place_bid(c, order_id=o, amount_fen=70_000, days=3),
    "update_bid": lambda c, _a, _o, f: actions.update_bid(c, f["bid"], days=4),
    "withdraw_bid": lambda c, _a, _o, f: actions.withdraw_bid(c, f["bid"]),
    "message": lambda c, _a, o, f: actions.send_message(c, order_id=o, text="你好", to=f["to"]),
}

Verdict = tuple[str, int] | None  # (code, exit code) of a refusal; None: taken


def _verdict(exc: JiedanError | None) -> Verdict:
    return None if exc is None else (exc.code, int(exit_code_for(exc)))


class _Undo(Exception):
    """Raised to roll the server's transaction back."""


def _on_server(
    market: Market, move: str, role: str, order_id: str, facts: dict[str, Any]
) -> Verdict:
    refused: JiedanError | None = None
    try:
        with market.server.db.write() as conn:
            try:
                SERVER[move](conn, market.actor(role), order_id, facts)
            except JiedanError as exc:
                refused = exc
            raise _Undo
    except _Undo:
        pass
    return _verdict(refused)


def _on_client(
    replica: sqlite3.Connection, move: str, order_id: str, facts: dict[str, Any]
) -> Verdict:
    try:
        CLIENT[move](replica, None, order_id, facts)
    except JiedanError as exc:
        return _verdict(exc)
    finally:
        replica.execute("DELETE FROM outbox")  # nothing is sent: the next case starts clean
    return None


CASES = [
    (move, status, role)
    for move in SERVER
    for status in STATUSES
    for role in ROLES
    if not (role == "freelancer" and status == "open")  # nobody is awarded an open order
]


@pytest.mark.parametrize(("move", "status", "role"), CASES)
def test_the_server_and_the_client_refuse_alike(
    market: Market, move: str, status: str, role: str
) -> None:
    order_id = market.orders[status]
    facts = {
        "now": market.server.clock.now,
        "bid": _bid_of(market, status, role),
        "to": _to(market, status, role),
    }
    replica = market.replicas[role]
    held = actions.queries.get_order(replica, order_id)
    on_server = _on_server(market, move, role, order_id, facts)
    on_client = _on_client(replica, move, order_id, facts)
    if held is None and on_client is None:  # the replica does not know it: the server decides
        assert role == "stranger" and on_server is not None and on_server[0] == "not_found"
        return
    if held is not None and held.get("closed_to_me") and on_server is not None:
        code, exit_code = on_server
        if code.startswith("order_"):  # told in terms of the order as it was shown to them
            on_server = (f"order_{held['status']}", exit_code)
    assert on_client == on_server
