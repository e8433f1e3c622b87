"""The synthetic marketplace (`jiedan server seed`) and the demo data (`server run --demo`):
realistic, consistent with what the live services write, and pulled by a first sync."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from jiedan_cli.domain.categories import CATEGORIES
from jiedan_cli.domain.geo import haversine_km
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import (
    bids,
    change_audience,
    change_log,
    milestones,
    orders,
    points_balances,
    profiles,
    reviews,
    users,
)
from jiedan_cli.server.seed import DEMO_PASSWORD, seed_marketplace
from jiedan_cli.server.seed_data import CITIES, KINDS
from jiedan_cli.server.seed_demo import DEMO_CLIENT, DEMO_FREELANCER, DEMO_ORDERS, seed_demo
from jiedan_cli.server.services.actors import Actor, parse_roles
from jiedan_cli.server.services.bids import bid_view
from jiedan_cli.server.services.order_views import closed_view, order_view
from jiedan_cli.server.services.passwords import verify_password
from jiedan_cli.server.services.sync_pull import pull_changes
from tests.server.conftest import Server

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
N = 300
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def seeded(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    db.migrate()
    seed_marketplace(db, orders=N, clients=20, freelancers=40, now=NOW)
    yield db
    db.dispose()


def _all(db: Database, table: Any) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(select(table)).all())


def test_seeding_n_orders_logs_each_once_public_only_while_open(seeded: Database) -> None:
    rows = _all(seeded, orders)
    assert len(rows) == N
    with seeded.read() as conn:
        logged = conn.execute(
            select(change_log.c.entity_id, change_log.c.payload, change_log.c.public).where(
                change_log.c.entity == "order"
            )
        ).all()
    # the payload is exactly what the live service would have recorded for the row, and only
    # open orders are public (another user's awarded order is not theirs to see); a bidder
    # who lost an order gets it as closed to them, once, beside it
    followed = [entry for entry in logged if not entry.payload["closed_to_me"]]
    assert len(followed) == N
    assert {entry.entity_id: entry.payload for entry in followed} == {
        row.id: order_view(row) for row in rows
    }
    status_of = {row.id: row.status for row in rows}
    assert all(entry.public == (status_of[entry.entity_id] == "open") for entry in followed)
    by_id = {row.id: row for row in rows}
    closed = [entry for entry in logged if entry.payload["closed_to_me"]]
    assert closed and len({entry.entity_id for entry in closed}) == len(closed)
    for entry in closed:
        assert not entry.public and by_id[entry.entity_id].freelancer_id is not None
        assert entry.payload == closed_view(by_id[entry.entity_id])


def test_every_bid_is_logged_for_its_author_and_the_orders_client(seeded: Database) -> None:
    client_of = {row.id: row.client_id for row in _all(seeded, orders)}
    placed = _all(seeded, bids)
    assert placed
    with seeded.read() as conn:
        logged = conn.execute(
            select(change_log.c.seq, change_log.c.entity_id, change_log.c.payload).where(
                change_log.c.entity == "bid"
            )
        ).all()
        readers: dict[int, set[str]] = {}
        for user_id, seq in conn.execute(select(change_audience.c.user_id, change_audience.c.seq)):
            readers.setdefault(seq, set()).add(user_id)
    by_id = {entry.entity_id: entry for entry in logged}
    assert len(by_id) == len(placed)
    for bid in placed:
        entry = by_id[bid.id]
        assert entry.payload == bid_view(bid)
        assert readers[entry.seq] == {bid.freelancer_id, client_of[bid.order_id]}


def test_orders_look_real(seeded: Database) -> None:
    rows = _all(seeded, orders)
    assert all(CJK.search(row.title) and CJK.search(row.description) for row in rows)
    assert {row.category for row in rows} == {k.category for k in KINDS}
    assert {row.category for row in rows} <= set(CATEGORIES)
    ceiling = {
        k.category: max(x.budget[1] for x in KINDS if x.category == k.category) for k in KINDS
    }
    for row in rows:
        assert 0 < row.budget_min_fen <= row.budget_max_fen <= ceiling[row.category] * 100
        assert 1 <= len(row.tags) <= 10
        assert NOW - timedelta(days=91) <= row.created_at <= row.updated_at <= NOW
        if row.deadline is not None:
            assert row.deadline >= NOW.date()
    repairs = [row for row in rows if row.category == "repair"]
    assert repairs and all(row.budget_max_fen <= 600 * 100 for row in repairs)
    statuses = Counter(row.status for row in rows)
    assert statuses["open"] > N / 2
    assert statuses["awarded"] and statuses["completed"]


def test_local_services_have_a_place_near_a_seeded_city(seeded: Database) -> None:
    local = [r for r in _all(seeded, orders) if r.category in ("housekeeping", "repair")]
    assert local
    for row in local:
        assert row.radius_km and row.radius_km > 0
        nearest = min(haversine_km(row.lat, row.lon, lat, lon) for _, lat, lon, _ in CITIES)
        assert nearest < 60


def test_awarded_orders_are_consistent_with_their_bids(seeded: Database) -> None:
    placed = _all(seeded, bids)
    planned = {m.order_id: m for m in _all(seeded, milestones)}
    live = Counter(b.order_id for b in placed if b.status in ("submitted", "awarded"))
    for order in _all(seeded, orders):
        assert order.bid_count == live[order.id]
        if order.status in ("awarded", "completed"):
            winner = next(b for b in placed if b.id == order.awarded_bid_id)
            assert winner.status == "awarded" and winner.freelancer_id == order.freelancer_id
        else:
            assert order.awarded_bid_id is None
        if order.status == "awarded":
            assert planned[order.id].amount_fen == winner.amount_fen
            assert planned[order.id].status == "created"
        if order.status != "open":
            assert not [b for b in placed if b.order_id == order.id and b.status == "submitted"]


def test_seeded_people_have_profiles_points_and_one_shared_password(seeded: Database) -> None:
    people = _all(seeded, users)
    assert len(people) == 60
    assert Counter(u.roles for u in people) == {"client": 20, "freelancer": 40}
    assert len(_all(seeded, profiles)) == len(_all(seeded, points_balances)) == 60
    hashes = {u.password_hash for u in people}
    assert len(hashes) == 1 and verify_password(hashes.pop(), DEMO_PASSWORD)


def test_ratings_count_only_revealed_reviews(seeded: Database) -> None:
    revealed = Counter(r.subject_id for r in _all(seeded, reviews) if r.revealed_at is not None)
    for profile in _all(seeded, profiles):
        assert profile.rating_count == revealed[profile.user_id]


def test_the_same_seed_gives_the_same_marketplace(tmp_path: Path) -> None:
    def fingerprint(name: str, seed: int) -> list[tuple[Any, ...]]:
        db = Database(f"sqlite:///{tmp_path / name}")
        db.migrate()
        seed_marketplace(db, orders=200, clients=10, freelancers=20, seed=seed, now=NOW)
        with db.read() as conn:
            rows = conn.execute(
                select(
                    orders.c.id, orders.c.title, orders.c.budget_min_fen, orders.c.status
                ).order_by(orders.c.id)
            ).all()
        db.dispose()
        return [tuple(row) for row in rows]

    first = fingerprint("a.db", 7)
    assert fingerprint("b.db", 7) == first
    assert fingerprint("c.db", 8) != first


def test_seeding_twice_adds_a_second_crowd(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'twice.db'}")
    db.migrate()
    seed_marketplace(db, orders=50, clients=5, freelancers=5, now=NOW)
    seed_marketplace(db, orders=50, clients=5, freelancers=5, now=NOW)
    with db.read() as conn:
        assert conn.scalar(select(func.count()).select_from(orders)) == 100
        assert conn.scalar(select(func.count()).select_from(users)) == 20


def _pull_everything(conn: Any, actor: Actor) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = pull_changes(conn, actor, cursor=cursor, limit=500)
        changes += page["changes"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return changes


def test_a_seeded_clients_first_sync_pulls_the_market_and_its_bids(server: Server) -> None:
    seed_marketplace(server.db, orders=N, clients=20, freelancers=40, now=NOW)
    with server.db.read() as conn:
        row = conn.execute(select(users).where(users.c.email == "client1@seed.jiedan.dev")).one()
        client = Actor(row.id, row.email, row.name, parse_roles(row.roles))
        pulled = _pull_everything(conn, client)
        bids_on_mine = conn.execute(
            select(bids.c.id)
            .join(orders, orders.c.id == bids.c.order_id)
            .where(orders.c.client_id == client.id)
        ).scalars()
        expected_bids = set(bids_on_mine)
        visible = conn.execute(
            select(orders.c.id).where(
                (orders.c.status == "open")
                | (orders.c.client_id == client.id)
                | orders.c.id.in_(select(bids.c.order_id).where(bids.c.freelancer_id == client.id))
            )
        ).scalars()
        expected_orders = set(visible)
    assert {c["id"] for c in pulled if c["entity"] == "order"} == expected_orders
    assert {c["id"] for c in pulled if c["entity"] == "bid"} == expected_bids
    [profile] = [c for c in pulled if c["entity"] == "profile"]  # their own, no one else's
    assert profile["id"] == client.id and profile["data"]["name"] == client.name
    [account] = [c for c in pulled if c["entity"] == "user"]
    assert account["id"] == client.id and account["data"]["roles"] == ["client"]
    seqs = [c["seq"] for c in pulled]
    assert seqs == sorted(seqs)


def test_seeded_accounts_sign_in_and_list_orders(server: Server) -> None:
    seed_marketplace(server.db, orders=50, clients=5, freelancers=5, now=NOW)
    response = server.client.post(
        "/v1/auth/login", json={"email": "freelancer1@seed.jiedan.dev", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    listed = server.request("GET", "/v1/orders?limit=20", response.json()["token"])
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 20


def test_demo_seeds_an_empty_database_once(sqlite_server: Server) -> None:
    db = sqlite_server.db
    summary = seed_demo(db, now=NOW)
    assert summary and DEMO_FREELANCER in summary
    assert seed_demo(db, now=NOW) is None  # not empty any more
    with db.read() as conn:
        me = conn.execute(select(users).where(users.c.email == DEMO_FREELANCER)).one()
        client = conn.execute(select(users).where(users.c.email == DEMO_CLIENT)).one()
        mine = conn.execute(select(bids).where(bids.c.freelancer_id == me.id)).all()
        awarded = conn.execute(select(orders).where(orders.c.freelancer_id == me.id)).all()
        skills = conn.scalar(select(profiles.c.skills).where(profiles.c.user_id == me.id))
        count = conn.scalar(select(func.count()).select_from(orders))
    assert verify_password(me.password_hash, DEMO_PASSWORD)
    assert verify_password(client.password_hash, DEMO_PASSWORD)
    assert skills == ["logo", "UI设计", "网站"]
    assert count == DEMO_ORDERS + 1  # the crowd's orders and the demo client's own
    assert len(mine) >= 3
    assert [(o.client_id, o.status) for o in awarded] == [(client.id, "awarded")]
    with db.read() as conn:  # their first sync brings their own profile, skills and all
        actor = Actor(me.id, me.email, me.name, parse_roles(me.roles))
        [profile] = [c for c in _pull_everything(conn, actor) if c["entity"] == "profile"]
    assert profile["data"]["skills"] == ["logo", "UI设计", "网站"]


def test_demo_refuses_a_database_with_accounts(sqlite_server: Server) -> None:
    sqlite_server.register("client")
    assert seed_demo(sqlite_server.db, now=NOW) is None
    with sqlite_server.db.read() as conn:
        assert conn.scalar(select(func.count()).select_from(orders)) == 0
