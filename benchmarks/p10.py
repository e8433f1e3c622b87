"""P10: the whole flow under load on PostgreSQL — 20 clients and 100 freelancers, each its
own HTTP connection — against `jiedan server run --workers 1` and then `--workers 2` on the
same database, the ratio of the two the figure (performance.md).

One flow: a client posts an order, three idle freelancers bid on it at once, the client
awards the lowest bid, funds it (the sandbox provider confirms within the request), the
winner delivers, the client accepts. Each client runs one flow at a time; a freelancer is in
one flow at a time. Any answer but the expected 2xx is an error and ends that flow.

Bounded in time and count: flows start during the warm-up and the measured window only, at
most `max_flows` of them; the flows under way then finish (within DRAIN_SECONDS). Only
requests and flows that finish inside the window count. After each load the ledger is
checked (benchmarks/ledger_check.py); a finding fails the figure."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import update

from benchmarks.ledger_check import check_ledger
from benchmarks.load import LoadResult
from benchmarks.p5 import PASSWORD
from benchmarks.pg_waits import WaitSampler
from benchmarks.postgres import ADMIN_URL, is_postgres, libpq_url, throwaway_database
from benchmarks.pyspy_summary import summarise
from benchmarks.raw_http import Answer, Connection, TransportError
from benchmarks.report import RESULTS, Figure, Target
from benchmarks.servers import (
    CALM_RISK,
    Served,
    app_server,
    cpu_seconds_of,
    cpu_seconds_with_reaped,
    parent_of,
    process_tree,
    serving,
    variants,
)
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import users

KEY = "P10"
WHAT = "whole flow, 2 workers ÷ 1 (PostgreSQL)"
TARGET = Target(min_ratio=1.3, max_p99_ms=None, max_errors=0, moonshot_ratio=1.6)
CLIENTS = 20
FREELANCERS = 100
BIDDERS = 3  # per order
DRAIN_SECONDS = 60.0
# Runs by default: in session 10's quiet sittings one pair of loads gave 1.00× to 1.75× (the
# server's CPU a flow moving 103–170 ms between loads of the same flows); a median of 3 is
# the figure (performance.md: "a median of several runs").
MIN_RUNS = 3
REQUESTS_PER_FLOW = 5 + BIDDERS  # post, the bids, award, fund, deliver, accept
SHA = "ab" * 32
HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


@dataclass
class User:
    id: str
    token: str
    http: Connection | None = None


class FlowError(Exception):
    pass


@dataclass
class Recorder:
    """What finished inside the measured window [start, end)."""

    start: float = float("inf")
    end: float = float("inf")
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    flows: int = 0
    started: int = 0
    completed: list[str] = field(default_factory=list)  # every accepted order, window or not
    errors: list[str] = field(default_factory=list)  # every one, window or not

    def counts(self, at: float) -> bool:
        return self.start <= at < self.end


async def _call(
    rec: Recorder, user: User, step: str, method: str, path: str, body: Any = None
) -> dict[str, Any]:
    assert user.http is not None
    expected = 201 if step in ("post", "bid", "deliver") else 200
    began = time.perf_counter()
    response: Answer | None
    try:
        response = await user.http.request(
            method,
            path,
            headers={**HEADERS, "Authorization": f"Bearer {user.token}"},
            body=None if body is None else json.dumps(body).encode(),
        )
        status = str(response.status)
    except TransportError as exc:
        response, status = None, f"TransportError {exc}"
    done = time.perf_counter()
    if rec.counts(done):
        rec.latencies[step].append(done - began)
        rec.statuses[status] += 1
    if response is None or response.status != expected:
        detail = "" if response is None else response.text[:200]
        raise FlowError(f"{step} {method} {path}: {status} {detail}")
    answer: dict[str, Any] = response.json()
    return answer


def _order_body(rng: random.Random) -> dict[str, Any]:
    low = rng.randrange(20_000, 200_000, 100)
    return {
        "title": f"设计一个咖啡店 logo #{rng.randrange(10**6)}",
        "description": "需要矢量源文件和三套配色，一周内交付。",
        "category": rng.choice(["design", "development", "writing"]),
        "tags": ["logo", "品牌"],
        "budget_min_fen": low,
        "budget_max_fen": low * 2,
    }


async def _flow(rec: Recorder, client: User, idle: asyncio.Queue[User], rng: random.Random) -> str:
    order = await _call(rec, client, "post", "POST", "/v1/orders", _order_body(rng))
    oid = order["id"]
    bidders = [await idle.get() for _ in range(BIDDERS)]
    winner: User | None = None
    try:
        low, high = order["budget_min_fen"], order["budget_max_fen"]
        answers = await asyncio.gather(
            *(
                _call(
                    rec,
                    f,
                    "bid",
                    "POST",
                    f"/v1/orders/{oid}/bids",
                    {
                        "amount_fen": rng.randrange(low, high + 1),
                        "days": 7,
                        "message": "可以按时交付",
                    },
                )
                for f in bidders
            ),
            return_exceptions=True,  # every bidder's request over before any is reused
        )
        failed = [a for a in answers if isinstance(a, BaseException)]
        if failed:
            raise failed[0]
        bids = [a for a in answers if not isinstance(a, BaseException)]
        best = min(range(BIDDERS), key=lambda n: bids[n]["amount_fen"])
        winner = bidders[best]
        for n, f in enumerate(bidders):
            if n != best:
                idle.put_nowait(f)
        award = {"bid_id": bids[best]["id"]}
        await _call(rec, client, "award", "POST", f"/v1/orders/{oid}/award", award)
        funded = await _call(rec, client, "fund", "POST", f"/v1/orders/{oid}/fund")
        if funded["order"]["status"] != "in_progress":
            raise FlowError(f"fund {oid}: the order is {funded['order']['status']}, not funded")
        files = [{"name": "logo.ai", "size": 2048, "sha256": SHA}]
        delivery = {"note": "初稿", "files": files}
        await _call(rec, winner, "deliver", "POST", f"/v1/orders/{oid}/deliveries", delivery)
        accepted = await _call(rec, client, "accept", "POST", f"/v1/orders/{oid}/accept")
        if accepted["status"] != "completed":
            raise FlowError(f"accept {oid}: the order is {accepted['status']}, not completed")
    finally:
        for f in [winner] if winner is not None else bidders:
            idle.put_nowait(f)
    return str(oid)


async def _client_loop(
    rec: Recorder,
    client: User,
    idle: asyncio.Queue[User],
    stop_at: float,
    max_flows: int,
    seed: int,
) -> None:
    rng = random.Random(seed)
    while time.perf_counter() < stop_at and rec.started < max_flows:
        rec.started += 1
        if rec.started == max_flows:  # the count bound closes the window early
            rec.end = min(rec.end, time.perf_counter())
        try:
            order_id = await _flow(rec, client, idle, rng)
        except FlowError as exc:
            rec.errors.append(str(exc))
            continue
        rec.completed.append(order_id)
        if rec.counts(time.perf_counter()):
            rec.flows += 1


def _connect(base: str, people: list[User]) -> None:
    # A freelancer may sit idle longer than the server keeps a quiet connection open (5 s):
    # a request sent as the server closes it fails. Browsers and proxies close first; so here.
    # The client is raw_http's, not httpx: the load shares the server's CPUs (its docstring).
    for person in people:
        person.http = Connection(base, idle_close=2.0, timeout=60)


def _postmaster_pid(database_url: str) -> int | None:
    """PostgreSQL's postmaster (when it runs on this host): the parent of our backend."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()
        # asked while the backend lives (it exits with the connection)
        return None if backend is None else parent_of(int(backend[0]))


@dataclass
class Population:
    clients: list[User]
    freelancers: list[User]


async def _register(base: str, role: str, count: int) -> list[User]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        gate = asyncio.Semaphore(4)

        async def one(n: int) -> User:
            async with gate:
                response = await http.post(
                    "/v1/auth/register",
                    json={
                        "email": f"p10-{role}-{n}-{random.getrandbits(40):x}@bench.jiedan.dev",
                        "name": f"p10 {role} {n}",
                        "password": PASSWORD,
                        "role": role,
                    },
                )
            response.raise_for_status()
            body = response.json()
            return User(body["user"]["id"], body["token"])

        return list(await asyncio.gather(*(one(n) for n in range(count))))


def populate(base: str, database_url: str, clients: int, freelancers: int) -> Population:
    """The load's people, registered through the API. The freelancers are made verified
    (实名认证) in the database: the unverified daily bid cap would refuse the load."""
    people = asyncio.run(_both(base, clients, freelancers))
    db = Database(database_url, pool_size=1, max_overflow=0)
    try:
        with db.write() as conn:
            ids = [f.id for f in people.freelancers]
            conn.execute(update(users).where(users.c.id.in_(ids)).values(verification="approved"))
    finally:
        db.dispose()
    return people


async def _both(base: str, clients: int, freelancers: int) -> Population:
    return Population(
        await _register(base, "client", clients), await _register(base, "freelancer", freelancers)
    )


class Meter:
    """CPU used inside the window by the server's processes, by PostgreSQL (every backend of
    the cluster, those opened and closed inside the window too — other databases' work
    counts if there is any), and by this load."""

    def __init__(self, server_pids: list[int], sampler: WaitSampler | None) -> None:
        self.server_pids = server_pids
        self.sampler = sampler
        self.postmaster: int | None = None
        self.server: float | None = None
        self.db: float | None = None
        self.load: float | None = None

    async def follow(self, rec: Recorder, database_url: str) -> None:
        await asyncio.sleep(max(0.0, rec.start - time.perf_counter()))
        self.postmaster = await asyncio.to_thread(_postmaster_pid, database_url)
        server, db, load = self._now()
        with self.sampler or nullcontext():
            while (left := rec.end - time.perf_counter()) > 0:  # the count bound may move it
                await asyncio.sleep(min(left, 0.1))
        server_end, db_end, load_end = self._now()
        self.server = None if server is None or server_end is None else server_end - server
        self.db = None if db is None or db_end is None else db_end - db
        self.load = load_end - load

    def _now(self) -> tuple[float | None, float | None, float]:
        db = None if self.postmaster is None else cpu_seconds_with_reaped(self.postmaster)
        return cpu_seconds_of(self.server_pids), db, time.process_time()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _drive(
    server: Served,
    database_url: str,
    people: Population,
    *,
    warmup: float,
    duration: float,
    max_flows: int,
    waits: bool,
) -> tuple[Recorder, Meter]:
    everyone = people.clients + people.freelancers
    _connect(server.base, everyone)
    idle: asyncio.Queue[User] = asyncio.Queue()
    for f in people.freelancers:
        idle.put_nowait(f)
    rec = Recorder()
    began = time.perf_counter()
    rec.start, rec.end = began + warmup, began + warmup + duration
    meter = Meter(process_tree(server.pid), WaitSampler(database_url) if waits else None)
    loops = [
        _client_loop(rec, client, idle, rec.end, max_flows, seed=n)
        for n, client in enumerate(people.clients)
    ]
    try:
        await asyncio.wait_for(
            asyncio.gather(meter.follow(rec, database_url), *loops),
            timeout=warmup + duration + DRAIN_SECONDS,
        )
    except TimeoutError:
        rec.errors.append(f"flows still running {DRAIN_SECONDS:g} s after the window closed")
    finally:
        await asyncio.gather(*(u.http.aclose() for u in everyone if u.http is not None))
    return rec, meter


def measure_flows(
    server: Served,
    database_url: str,
    people: Population,
    *,
    warmup: float,
    duration: float,
    max_flows: int,
    waits: bool = False,
) -> LoadResult:
    """One load against `server`, then the ledger check: a LoadResult whose `errors` count
    the failed flows and whose `extra` holds flows/s, each step's latency, CPU per flow and
    the ledger's findings."""
    rec, meter = asyncio.run(
        _drive(
            server,
            database_url,
            people,
            warmup=warmup,
            duration=duration,
            max_flows=max_flows,
            waits=waits,
        )
    )
    findings = check_ledger(database_url, rec.completed)
    every = [x for values in rec.latencies.values() for x in values]
    requests = len(every)
    seconds = max(rec.end - rec.start, 1e-9)  # empty when the count bound hit in the warm-up
    result = LoadResult(
        "python raw-http flows",
        seconds,
        requests,
        requests / seconds,
        _pct(every, 0.50),
        _pct(every, 0.99),
        len(rec.errors),
        dict(rec.statuses),
    )

    def per_flow(seconds: float | None) -> float | None:
        return None if seconds is None or not rec.flows else round(seconds * 1000 / rec.flows, 2)

    server_per_flow = per_flow(meter.server)
    if server_per_flow is not None:
        result.server_cpu_ms = server_per_flow / REQUESTS_PER_FLOW
    result.extra = {
        "flows_per_s": round(rec.flows / seconds, 2),
        "flows_in_window": rec.flows,
        "flows_started": rec.started,
        "flows_completed": len(rec.completed),
        "cut_by_max_flows": rec.started >= max_flows,
        "server_cpu_ms_per_flow": server_per_flow,
        "db_cpu_ms_per_flow": per_flow(meter.db),
        "load_cpu_ms_per_flow": per_flow(meter.load),
        "steps": {
            step: {
                "count": len(values),
                "p50_ms": round(_pct(values, 0.50), 2),
                "p99_ms": round(_pct(values, 0.99), 2),
                "mean_ms": round(statistics.fmean(values) * 1000, 2),
            }
            for step, values in sorted(rec.latencies.items())
        },
        "errors": rec.errors[:20],
        "pg_waits": None if meter.sampler is None else meter.sampler.waits.summary(),
        "ledger_findings": findings,
    }
    return result


def _describe(label: str, result: LoadResult) -> str:
    extra = result.extra
    return (
        f"  P10 {label:<20} {extra['flows_per_s']:6.1f} flows/s "
        f"{result.rps:6.0f} req/s  p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
        f"errors {result.errors}  CPU ms/flow: server {extra['server_cpu_ms_per_flow']} "
        f"postgres {extra['db_cpu_ms_per_flow']} load {extra['load_cpu_ms_per_flow']}"
    )


def figures(args: Any, say: Any) -> list[Figure]:
    """P10 (2 workers against the floor of 1, same run) and the 1-worker load as a
    diagnostic row, for each source tree (`variants`); `args` as `python -m benchmarks`
    parsed them."""
    trees = variants(args.compare_root, args.compare_label)
    two = {s: Figure(KEY + s, WHAT, TARGET, [], [], []) for s, _ in trees}
    one = {
        s: Figure(f"P10·1w{s}", "whole flow, 1 worker (the floor)", None, [], [], [])
        for s, _ in trees
    }
    given = args.database_url if args.database_url and is_postgres(args.database_url) else None
    with tempfile.TemporaryDirectory(prefix="jiedan-p10-") as folder, ExitStack() as stack:
        home = Path(folder) / "home"
        home.mkdir()
        try:
            url = given or stack.enter_context(throwaway_database())
        except psycopg.OperationalError as exc:
            two[""].failures.append(f"no PostgreSQL for P10 ({ADMIN_URL}): {exc}")
            return [two[""]]
        say(f"P10 on {url}: {args.p10_clients} clients, {args.p10_freelancers} freelancers")
        people: Population | None = None
        runs = args.p10_repeat or max(args.repeat, MIN_RUNS)
        for run in range(1, runs + 1):
            # alternate the order of the loads: the data grows, the machine drifts
            loads = [(s, root, w) for s, root in trees for w in (1, 2)]
            for suffix, root, workers in loads if run % 2 else loads[::-1]:
                command, port = app_server(url, workers)
                # the flows of accounts minutes old, 8 actions each, many runs an hour: the
                # risk engine assesses and records them all, holds none (servers.CALM_RISK)
                env = {"JIEDAN_HOME": str(home), **CALM_RISK}
                spy = (
                    RESULTS / f"py-spy-P10{suffix}-{workers}w-run{run}.txt" if args.py_spy else None
                )
                with serving(command, env=env, port=port, root=root, profile=spy) as server:
                    if people is None:
                        people = populate(server.base, url, args.p10_clients, args.p10_freelancers)
                    result = measure_flows(
                        server,
                        url,
                        people,
                        warmup=args.warmup,
                        duration=args.duration,
                        max_flows=args.p10_max_flows,
                        waits=args.pg_waits,
                    )
                say(_describe(f"{workers} worker(s){suffix}", result))
                if spy is not None and spy.exists():
                    say(f"    py-spy {spy}: {json.dumps(summarise(spy, 12), ensure_ascii=False)}")
                for finding in result.extra["ledger_findings"]:
                    two[suffix].failures.append(f"run {run}, {workers} worker(s): {finding}")
                if workers == 1 and result.errors:  # the 2-worker errors are the figure's own
                    two[suffix].failures.append(f"run {run}, 1 worker: {result.errors} errors")
                for error in result.extra["errors"][:3]:
                    say(f"    error: {error}")
                if result.extra["pg_waits"]:
                    say(f"    postgres: {json.dumps(result.extra['pg_waits'], ensure_ascii=False)}")
                if result.extra["cut_by_max_flows"]:
                    two[suffix].notes.append(
                        f"run {run}, {workers} worker(s): --p10-max-flows cut it"
                    )
                if workers == 2:
                    two[suffix].runs.append(result)
                else:
                    two[suffix].floors.append(result)
                    one[suffix].runs.append(result)
                    one[suffix].floors.append(result)
    found: list[Figure] = []
    for suffix, _ in trees:
        flows = [
            statistics.median(r.extra["flows_per_s"] for r in f[suffix].runs) for f in (one, two)
        ]
        two[suffix].notes.append(
            f"flows/s median: 1 worker {flows[0]:.1f}, 2 workers {flows[1]:.1f}; "
            f"{REQUESTS_PER_FLOW} requests a flow; ledger checked after every load"
        )
        found += [two[suffix], one[suffix]]
    return found
