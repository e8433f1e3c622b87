"""The money flow on two `jiedan server run` processes sharing one PostgreSQL database, every
request alternating between them (issue 8): many orders posted, bid on, awarded, funded,
delivered and accepted — with fees, not only first orders — while the races that matter are
sent to both processes at once (the same Idempotency-Key, two awards of one order, two funds,
two accepts) and two users pull their changes incrementally all along. Afterwards the pulls
must match the change log exactly, and the ledger read from the database must keep every
invariant of money.md.

Only the real HTTP API of the two processes is used; the database is read directly only to
check. A 503 (database busy) is retried as a client would, and counted; a 500 fails."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, or_, select, tuple_

from jiedan_cli.domain.fees import DEFAULT_FEE_POLICY
from jiedan_cli.domain.ledger import PLATFORM_FEES, freelancer_available
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import (
    change_audience,
    change_log,
    ledger_accounts,
    ledger_transfers,
    milestones,
    points_balances,
    points_entries,
)
from jiedan_cli.server.db.tables import orders as orders_table
from tests.server.escrow_flow import SHA, assert_ledger_sound
from tests.server.market import order_body
from tests.server.processes import ServerProcess, running_servers, throwaway_database

pytestmark = [pytest.mark.postgres, pytest.mark.processes, pytest.mark.xdist_group("processes")]

PASSWORD = "correct horse 42"
CLIENTS = 4
FREELANCERS = 4
ORDERS = 36
FLOWS_AT_ONCE = 8
# Amounts stay small enough that no freelancer reaches the silver tier (¥10,000) whatever the
# award races decide, so every fee is the plain 10% and can be checked to the fen.
BASE_AMOUNT_FEN = 30_001
PULL_PAGE = 5
BUSY_RETRIES = 20
# Jobs (the sandbox sweep among them) tick often, so they race the fund requests too; the
# logs are JSON lines, read at the end for errors that no answer showed.
SERVER_ENV = {"JIEDAN_SERVER_JOB_INTERVAL_SECONDS": "0.5", "JIEDAN_SERVER_LOG_FORMAT": "json"}


def awards_race(n: int) -> bool:
    return n % 3 == 0


def funds_twice(n: int) -> bool:
    return n % 4 == 2


def accepts_twice(n: int) -> bool:
    return n % 4 == 1


@dataclass
class Cluster:
    """The two processes, one HTTP client each (shared by the threads), and what they did."""

    servers: list[ServerProcess]
    clients: list[httpx.Client] = field(default_factory=list)
    busy: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        self.clients = [
            httpx.Client(base_url=s.base, timeout=60, limits=limits) for s in self.servers
        ]

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def send(
        self,
        which: int,
        method: str,
        path: str,
        user: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request to process `which % 2`; a 503 is retried as the API asks, a 5xx fails."""
        server = self.servers[which % len(self.servers)]
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {user['token']}"
        for attempt in range(BUSY_RETRIES):
            response = self.clients[which % len(self.clients)].request(
                method, path, headers=headers, **kwargs
            )
            if response.status_code != 503:
                break
            with self.lock:
                self.busy[f"{method} {path.split('/')[-1]}"] += 1
            time.sleep(0.02 * (attempt + 1))
        assert response.status_code < 500, (
            f"{method} {path} on {server.base} (pid {server.pid}) answered "
            f"{response.status_code}: {response.text}\n--- its log ---\n{server.log()[-4000:]}"
        )
        return response

    def at_once(self, *calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
        """Each call in its own thread, released together."""
        start = threading.Barrier(len(calls))
        answers: list[httpx.Response | BaseException | None] = [None] * len(calls)

        def run(i: int, call: Callable[[], httpx.Response]) -> None:
            start.wait()
            try:
                answers[i] = call()
            except BaseException as exc:
                answers[i] = exc

        threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        return [a for a in answers if isinstance(a, httpx.Response)]


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return dict(response.json())


def problem_code(response: httpx.Response) -> str:
    return str(response.json().get("code"))


# ---- the flow of one order ----------------------------------------------------------------


@dataclass
class Outcome:
    """What one order's flow saw: who won, and how each race ended."""

    n: int
    order_id: str
    client_id: str
    freelancer_id: str
    amount_fen: int
    post_statuses: list[int] = field(default_factory=list)
    award_statuses: list[int] = field(default_factory=list)
    fund_statuses: list[int] = field(default_factory=list)
    accept_statuses: list[int] = field(default_factory=list)


def run_order(
    cluster: Cluster, n: int, clients: list[dict[str, Any]], freelancers: list[dict[str, Any]]
) -> Outcome:
    """Order `n` from posting to acceptance; step k goes to process n + k, so consecutive
    steps of one order alternate between the two processes."""
    step = itertools.count(n)
    client = clients[n % CLIENTS]
    freelancer = freelancers[(n + n // CLIENTS) % FREELANCERS]
    amount = BASE_AMOUNT_FEN + 317 * n
    body = order_body(
        title=f"第{n}单：咖啡店 logo",
        budget_min_fen=10_000,
        budget_max_fen=60_000,
    )

    # The same Idempotency-Key to both processes at once: one runs, the other is told it is
    # in flight (409) or gets the stored answer; one order either way.
    key = {"Idempotency-Key": f"post-order-{n}"}
    posted = cluster.at_once(
        lambda: cluster.send(0, "POST", "/v1/orders", client, json=body, headers=key),
        lambda: cluster.send(1, "POST", "/v1/orders", client, json=body, headers=key),
    )
    created = [r for r in posted if r.status_code == 201]
    others = [r for r in posted if r.status_code != 201]
    assert created, [r.text for r in posted]
    assert len({r.json()["id"] for r in created}) == 1, [r.text for r in created]
    assert all(
        r.status_code == 409 and problem_code(r) == "idempotency_key_in_flight" for r in others
    ), [r.text for r in others]
    assert [r.headers.get("idempotent-replayed") for r in created].count(None) == 1
    order_id = created[0].json()["id"]
    # Afterwards, on either process, the stored answer. The winner's answer goes out before
    # it is stored, so a retry right behind it may still be told "in flight": retry as asked.
    for _ in range(BUSY_RETRIES):
        replay = cluster.send(next(step), "POST", "/v1/orders", client, json=body, headers=key)
        if replay.status_code != 409:
            break
        assert problem_code(replay) == "idempotency_key_in_flight", replay.text
        time.sleep(0.05)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == order_id

    bid_body = {"amount_fen": amount, "days": 5, "message": "三天出初稿"}
    path = f"/v1/orders/{order_id}"
    bid = ok(cluster.send(next(step), "POST", f"{path}/bids", freelancer, json=bid_body), 201)
    outcome = Outcome(n, order_id, client["id"], freelancer["id"], amount)
    outcome.post_statuses = sorted(r.status_code for r in posted)
    if awards_race(n):
        rival = freelancers[(n + n // CLIENTS + 1) % FREELANCERS]
        rival_body = {**bid_body, "amount_fen": amount + 1}
        rival_bid = ok(
            cluster.send(next(step), "POST", f"{path}/bids", rival, json=rival_body), 201
        )
        awards = cluster.at_once(
            lambda: cluster.send(0, "POST", f"{path}/award", client, json={"bid_id": bid["id"]}),
            lambda: cluster.send(
                1, "POST", f"{path}/award", client, json={"bid_id": rival_bid["id"]}
            ),
        )
        outcome.award_statuses = sorted(r.status_code for r in awards)
        won = [r.json() for r in awards if r.status_code == 200]
        assert outcome.award_statuses == [200, 409], [r.text for r in awards]
        if won[0]["awarded_bid_id"] == rival_bid["id"]:
            freelancer, outcome.freelancer_id, outcome.amount_fen = rival, rival["id"], amount + 1
        seen = ok(cluster.send(next(step), "GET", path, client))
        assert seen["status"] == "awarded" and seen["awarded_bid_id"] == won[0]["awarded_bid_id"]
    else:
        awarded = cluster.send(
            next(step), "POST", f"{path}/award", client, json={"bid_id": bid["id"]}
        )
        assert ok(awarded)["status"] == "awarded"

    if funds_twice(n):
        funds = cluster.at_once(
            lambda: cluster.send(0, "POST", f"{path}/fund", client),
            lambda: cluster.send(1, "POST", f"{path}/fund", client),
        )
        outcome.fund_statuses = sorted(r.status_code for r in funds)
        # the second is the same pending intent again (200) or finds nothing left to fund
        assert all(r.status_code == 200 or problem_code(r) == "nothing_to_fund" for r in funds), [
            r.text for r in funds
        ]
        assert 200 in outcome.fund_statuses
    else:
        funded = ok(cluster.send(next(step), "POST", f"{path}/fund", client))
        assert funded["order"]["status"] == "in_progress", funded
    assert ok(cluster.send(next(step), "GET", path, client))["status"] == "in_progress"

    files = [{"name": "logo.ai", "size": 2048, "sha256": SHA}]
    delivery = {"note": "初稿", "files": files}
    ok(cluster.send(next(step), "POST", f"{path}/deliveries", freelancer, json=delivery), 201)

    if accepts_twice(n):
        accepts = cluster.at_once(
            lambda: cluster.send(0, "POST", f"{path}/accept", client),
            lambda: cluster.send(1, "POST", f"{path}/accept", client),
        )
        outcome.accept_statuses = sorted(r.status_code for r in accepts)
        assert outcome.accept_statuses == [200, 409], [r.text for r in accepts]
        assert [r.json()["status"] for r in accepts if r.status_code == 200] == ["completed"]
    else:
        accepted = ok(cluster.send(next(step), "POST", f"{path}/accept", client))
        assert accepted["status"] == "completed", accepted
    return outcome


# ---- an incremental pull running through it all --------------------------------------------


@dataclass
class Puller:
    """Pulls one user's changes a small page at a time, each page from the other process."""

    cluster: Cluster
    user: dict[str, Any]
    done: threading.Event
    seqs: list[int] = field(default_factory=list)
    objects: list[tuple[str, str]] = field(default_factory=list)  # (entity, id) of each seq
    cursor: str = ""
    pages: int = 0
    seen_while_writing: int = 0
    failure: BaseException | None = None

    def run(self) -> None:
        try:
            self._pull()
        except BaseException as exc:
            self.failure = exc

    def _pull(self) -> None:
        epoch = None
        while True:
            finished = self.done.is_set()  # one whole pull after the last write
            page = ok(
                self.cluster.send(
                    self.pages,
                    "GET",
                    "/v1/sync/pull",
                    self.user,
                    params={"cursor": self.cursor, "limit": PULL_PAGE},
                )
            )
            self.pages += 1
            assert page["reset"] is False, page
            assert epoch in (None, page["epoch"]), page
            epoch = page["epoch"]
            got = [change["seq"] for change in page["changes"]]
            self.seqs.extend(got)
            self.objects.extend((change["entity"], change["id"]) for change in page["changes"])
            if not finished:
                self.seen_while_writing += len(got)
            self.cursor = page["next_cursor"]
            if finished and not page["has_more"]:
                return
            if not page["has_more"]:
                time.sleep(0.02)

    @property
    def position(self) -> tuple[int, int]:
        """(txid, seq) the cursor points after ("<epoch>:<txid>.<seq>")."""
        txid, _, seq = self.cursor.rsplit(":", 1)[1].rpartition(".")
        return int(txid or 0), int(seq)


def visible_changes(
    db: Database, user_id: str, up_to: tuple[int, int]
) -> list[tuple[int, str, str]]:
    """Every committed change `user_id` may see up to the position `up_to` in pull order,
    as (seq, entity, id), from the tables themselves."""
    addressed = select(change_audience.c.seq).where(change_audience.c.user_id == user_id)
    with db.read() as conn:
        rows = conn.execute(
            select(change_log.c.seq, change_log.c.entity, change_log.c.entity_id).where(
                tuple_(change_log.c.txid, change_log.c.seq) <= tuple_(*up_to),
                or_(change_log.c.public.is_(True), change_log.c.seq.in_(addressed)),
            )
        ).all()
        return [(row.seq, row.entity, row.entity_id) for row in rows]


# ---- the test --------------------------------------------------------------------------------


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Cluster, Database]]:
    with (
        throwaway_database() as url,
        running_servers(url, tmp_path, 2, env=SERVER_ENV) as servers,
    ):
        pair = Cluster(servers)
        db = Database(url, pool_size=2, max_overflow=2)
        try:
            yield pair, db
        finally:
            pair.close()
            db.dispose()


def logged_errors(server: ServerProcess) -> list[str]:
    """Lines of its log at level error or worse (a swallowed failure: a notification or a job)."""
    found = []
    for line in server.log().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the start-up banner
        if isinstance(record, dict) and record.get("level") in ("error", "critical"):
            found.append(line)
    return found


def register(cluster: Cluster, which: int, role: str, n: int) -> dict[str, Any]:
    email = f"{role}{n}@example.com"
    body = {"email": email, "name": f"{role}{n}", "password": PASSWORD, "role": role}
    answer = ok(cluster.send(which, "POST", "/v1/auth/register", json=body), 201)
    return {**answer["user"], "token": answer["token"], "email": email}


def test_money_flow_alternating_between_two_processes(
    cluster: tuple[Cluster, Database],
) -> None:
    pair, db = cluster
    clients = [register(pair, n, "client", n) for n in range(CLIENTS)]
    freelancers = [register(pair, n + 1, "freelancer", n) for n in range(FREELANCERS)]

    done = threading.Event()
    pullers = [Puller(pair, clients[0], done), Puller(pair, freelancers[0], done)]
    pulling = [threading.Thread(target=p.run) for p in pullers]
    for thread in pulling:
        thread.start()
    try:
        with ThreadPoolExecutor(FLOWS_AT_ONCE) as pool:
            outcomes = list(
                pool.map(lambda n: run_order(pair, n, clients, freelancers), range(ORDERS))
            )
    finally:
        done.set()
        for thread in pulling:
            thread.join(timeout=120)
    for puller in pullers:
        assert puller.failure is None, puller.failure

    # The races went through both processes and had one winner each.
    assert sum(1 for o in outcomes if o.award_statuses) == sum(map(awards_race, range(ORDERS)))
    assert sum(1 for o in outcomes if o.accept_statuses) == sum(map(accepts_twice, range(ORDERS)))

    # ---- the pulls: every change the user may see, once, in order, none skipped --------------
    for puller in pullers:
        assert puller.seen_while_writing > 0  # it really pulled during the writes
        visible = visible_changes(db, puller.user["id"], puller.position)
        assert len(puller.seqs) == len(set(puller.seqs)), "a change was pulled twice"
        extra = sorted(set(puller.seqs) - {seq for seq, _, _ in visible})
        assert extra == [], extra
        # Per object the pulled seqs rise, and the last is the object's newest change: what a
        # client applying pages in order ends with. A change not pulled was superseded by a
        # newer one of its object pulled before it (sync_pull's rule) — never just skipped.
        newest: dict[tuple[str, str], int] = {}
        for seq, entity, entity_id in visible:
            newest[(entity, entity_id)] = max(seq, newest.get((entity, entity_id), 0))
        last_pulled: dict[tuple[str, str], int] = {}
        for seq, obj in zip(puller.seqs, puller.objects, strict=True):
            assert seq > last_pulled.get(obj, 0), (obj, last_pulled.get(obj), seq)
            last_pulled[obj] = seq
        assert last_pulled == newest
        pulled = set(puller.seqs)
        for seq, entity, entity_id in visible:
            if seq not in pulled:
                assert newest[(entity, entity_id)] > seq, (seq, entity, entity_id)

    # ---- the orders: one per Idempotency-Key, each completed with one milestone released -----
    by_order = {o.order_id: o for o in outcomes}
    with db.read() as conn:
        titles = Counter(conn.execute(select(orders_table.c.title)).scalars())
        stored = {row.id: row for row in conn.execute(select(orders_table)).all()}
        stones = conn.execute(select(milestones)).all()
        moves = conn.execute(select(ledger_transfers)).all()
        accounts = dict(
            conn.execute(select(ledger_accounts.c.id, ledger_accounts.c.balance_fen)).all()
        )
        points = dict(
            conn.execute(select(points_balances.c.user_id, points_balances.c.balance)).all()
        )
        entries = conn.execute(select(points_entries)).all()
        transfer_ids = conn.scalar(select(func.count(func.distinct(ledger_transfers.c.id))))
    assert set(titles.values()) == {1} and len(titles) == ORDERS, titles
    assert set(stored) == set(by_order)
    for order_id, outcome in by_order.items():
        row = stored[order_id]
        assert row.status == "completed", (order_id, row.status)
        assert row.freelancer_id == outcome.freelancer_id
    assert len(stones) == ORDERS
    assert {m.order_id for m in stones} == set(by_order)
    assert {m.status for m in stones} == {"released"}

    # ---- the money: funded once, released once, the fee taken on every order but the first -
    assert transfer_ids == len(moves)  # transfer ids are unique
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for move in moves:
        kinds[move.milestone_id][move.kind] += 1
    paid: dict[str, int] = defaultdict(int)
    fee_free: Counter[str] = Counter()
    fees_taken = 0
    for milestone in stones:
        outcome = by_order[milestone.order_id]
        assert milestone.amount_fen == outcome.amount_fen
        mine = {m.kind: m for m in moves if m.milestone_id == milestone.id}
        assert kinds[milestone.id]["fund"] == 1, kinds[milestone.id]
        assert kinds[milestone.id]["release"] == 1, kinds[milestone.id]
        assert kinds[milestone.id]["fee"] <= 1 and kinds[milestone.id]["refund"] == 0
        release, fee = mine["release"], mine.get("fee")
        assert release.id == f"release:{milestone.id}"
        assert release.destination == freelancer_available(outcome.freelancer_id)
        fee_fen = fee.amount_fen if fee else 0
        assert release.amount_fen + fee_fen == milestone.amount_fen
        if fee is None:
            fee_free[outcome.freelancer_id] += 1
        else:
            assert fee.id == f"fee:{milestone.id}" and fee.destination == PLATFORM_FEES
            assert fee_fen == DEFAULT_FEE_POLICY.fee_for(milestone.amount_fen)
            fees_taken += fee_fen
        paid[outcome.freelancer_id] += release.amount_fen
    # each freelancer's first order is fee-free, and only that one — also when their
    # acceptances ran at once on two processes
    assert fee_free == Counter({o.freelancer_id: 1 for o in outcomes})
    assert sum(1 for m in moves if m.kind == "fee") == ORDERS - len(fee_free) > 0
    # the protection fund's share of each fee, moved on in the fee's posting
    shares = sum(m.amount_fen for m in moves if m.kind == "protection")
    assert accounts[PLATFORM_FEES] + accounts.get("platform:protection", 0) == fees_taken > 0
    assert accounts.get("platform:protection", 0) == shares > 0
    for freelancer_id, total in paid.items():
        assert accounts[freelancer_available(freelancer_id)] == total
    assert accounts["external:sandbox"] == -sum(o.amount_fen for o in outcomes)

    # ---- points, their own ledger: one completion award per order and party, never negative -
    completions = Counter(e.id for e in entries if e.kind == "completion")
    assert set(completions.values()) == {1}
    assert len(completions) == 2 * ORDERS
    sums: dict[str, int] = defaultdict(int)
    for entry in entries:
        sums[entry.user_id] += entry.amount
    assert points == dict(sums) and min(points.values()) >= 0

    # ---- and every ledger invariant of money.md -------------------------------------------
    assert_ledger_sound(db)
    for server in pair.servers:
        assert logged_errors(server) == [], server.base
    races = Counter(
        (name, tuple(statuses))
        for o in outcomes
        for name, statuses in (
            ("post", o.post_statuses),
            ("award", o.award_statuses),
            ("fund", o.fund_statuses),
            ("accept", o.accept_statuses),
        )
        if statuses
    )
    print(f"\nraces: {dict(races)}\npull pages: {[p.pages for p in pullers]}")
    print(f"busy (503, retried): {dict(pair.busy)}")
