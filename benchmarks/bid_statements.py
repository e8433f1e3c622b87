"""What one bid sends to the database: `python -m benchmarks.bid_statements [--postgres]`.

The app in this process (Starlette's TestClient, no jobs), a few freelancers bidding one bid
at a time on seeded open orders, after a warm-up: the statements one bid sends, by kind
(SQLAlchemy's cursor events), and on PostgreSQL every statement the server ran for this
database (log_statement = all, set on the throw-away database only, read back from the
server's log: BEGIN, COMMIT, the pool's ping and each row of an executemany are not
SQLAlchemy statements of their own), and the time one uncontended bid takes. Where the
server's CPU goes under load: `python -m benchmarks --only P6 --py-spy`; lock waits:
`--pg-waits`."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, update

from benchmarks.postgres import ADMIN_URL, is_postgres, libpq_url, throwaway_database

PG_LOG = Path("/var/log/postgresql/postgresql-15-main.log")
_LOGGED = re.compile(r"^\S+ \S+ UTC \[\d+\] (\S+)@(\S+) LOG:  (statement|execute [^:]*): (.*)$")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bid_statements", description=__doc__
    )
    parser.add_argument(
        "--postgres", action="store_true", help=f"a throw-away database ({ADMIN_URL})"
    )
    parser.add_argument("--database-url", help="an EMPTY database (default: temporary SQLite)")
    parser.add_argument("--orders", type=int, default=3_000, help="orders to seed")
    parser.add_argument("--bids", type=int, default=400, help="bids counted")
    parser.add_argument("--warmup", type=int, default=100, help="bids before")
    parser.add_argument("--pg-log", default=str(PG_LOG), help="the PostgreSQL server's log")
    parser.add_argument("--out", help="write the findings as JSON here too")
    return parser.parse_args(argv)


def _kind(statement: str) -> str:
    """`INSERT INTO bids`, `SELECT … FROM orders`, `UPDATE orders` …: what a statement does."""
    words = statement.split()
    head = words[0].upper() if words else "?"
    if head in ("INSERT", "DELETE") and len(words) > 2:
        return f"{head} {words[2]}"
    if head == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    if head == "SELECT":
        lock = " FOR UPDATE" if "FOR UPDATE" in statement.upper() else ""
        if len(words) > 1 and "." in words[1] and "(" not in words[1]:  # orders.id, …
            return f"SELECT {words[1].split('.')[0]}{lock}"
        match = re.search(r"\bFROM (\w+)", statement, re.IGNORECASE)
        what = match.group(1) if match else " ".join(words[1:3])
        return f"SELECT {what}{lock}"
    if head == ";":
        return "; (the pool's pre-ping)"
    return " ".join(words[:2]).upper()


@contextmanager
def _statements(engine: Any) -> Iterator[Counter[str]]:
    seen: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen[_kind(statement)] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def _server_log(path: Path, database: str) -> Iterator[Counter[str]]:
    """What PostgreSQL logged for `database` while the block ran (log_statement = all)."""
    seen: Counter[str] = Counter()
    start = path.stat().st_size
    yield seen
    time.sleep(0.5)  # the server's stderr reaches the file a little later
    with path.open("rb") as log:
        log.seek(start)
        for raw in log:
            match = _LOGGED.match(raw.decode("utf-8", "replace").rstrip("\n"))
            if match and match.group(2) == database:
                seen[_kind(match.group(4))] += 1


def _seed(database_url: str, orders: int) -> None:
    from jiedan_cli.server.db import Database
    from jiedan_cli.server.seed import seed_marketplace

    db = Database(database_url)
    try:
        db.migrate()
        print(seed_marketplace(db, orders=orders), file=sys.stderr)
    finally:
        db.dispose()


def count_statements(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from jiedan_cli.server.app import create_app
    from jiedan_cli.server.config import Settings
    from jiedan_cli.server.db.tables import orders, users

    _seed(database_url, args.orders)
    database = database_url.rsplit("/", 1)[1]
    log_path = Path(args.pg_log)
    # only on a database of our own: the setting stays with the database
    logging = args.postgres and not args.database_url and log_path.exists()
    if logging:
        import psycopg

        with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'")
    settings = Settings(
        database_url=database_url,
        secret_key="profile secret key",
        sandbox_webhook_secret="profile webhook secret",
        run_jobs=False,
        access_log=False,
        registrations_per_address_hour=0,
        rate_limit_storage="memory://",  # one process (servers.SHARED_SECRETS says why)
        # assessed and recorded, never held (servers.CALM_RISK): the bids counted are placed
        risk_review_at=1_000_000,
        risk_block_at=1_000_000,
    )
    app = create_app(settings)
    found: dict[str, Any] = {"database": "postgresql" if is_postgres(database_url) else "sqlite"}
    with TestClient(app) as client:
        tokens = []
        for n in range(8):
            response = client.post(
                "/v1/auth/register",
                json={
                    "email": f"profile-{n}-{time.time_ns()}@bench.jiedan.dev",
                    "name": f"profile {n}",
                    "password": "bench password 42",
                    "role": "freelancer",
                },
            )
            response.raise_for_status()
            tokens.append((response.json()["user"]["id"], response.json()["token"]))
        db = app.state.db
        with db.write() as conn:
            ids = [user_id for user_id, _ in tokens]
            conn.execute(update(users).where(users.c.id.in_(ids)).values(verification="approved"))
        with db.read() as conn:
            open_orders = conn.execute(
                select(orders.c.id, orders.c.budget_min_fen).where(orders.c.status == "open")
            ).all()
        needed = args.warmup + args.bids
        if len(open_orders) < needed:
            raise SystemExit(f"{len(open_orders)} open orders < {needed} bids: seed more")

        def bid(n: int) -> None:
            order = open_orders[n]
            _, token = tokens[n % len(tokens)]
            response = client.post(
                f"/v1/orders/{order.id}/bids",
                headers={"Authorization": f"Bearer {token}"},
                json={"amount_fen": order.budget_min_fen, "days": 7, "message": "基准测试"},
            )
            if response.status_code != 201:
                raise SystemExit(f"bid {n}: {response.status_code} {response.text}")

        for n in range(args.warmup):
            bid(n)
        measured = range(args.warmup, needed)
        with ExitStack() as stack:
            statements = stack.enter_context(_statements(db.engine))
            logged = stack.enter_context(_server_log(log_path, database)) if logging else None
            began_cpu, began = time.process_time(), time.perf_counter()
            for n in measured:
                bid(n)
            cpu, wall = time.process_time() - began_cpu, time.perf_counter() - began
    bids = len(measured)
    found["bids"] = bids
    found["process_cpu_ms_per_bid"] = round(cpu * 1000 / bids, 3)  # the test client's too
    found["wall_ms_per_bid"] = round(wall * 1000 / bids, 3)
    found["statements_per_bid"] = round(sum(statements.values()) / bids, 2)
    found["statements"] = {k: round(v / bids, 2) for k, v in statements.most_common()}
    if logged is not None:
        found["server_statements_per_bid"] = round(sum(logged.values()) / bids, 2)
        found["server_statements"] = {k: round(v / bids, 2) for k, v in logged.most_common()}
    return found


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="jiedan-statements-") as folder, ExitStack() as stack:
        if args.database_url:
            url = args.database_url
        elif args.postgres:
            url = stack.enter_context(throwaway_database())
        else:
            url = f"sqlite:///{Path(folder) / 'statements.db'}"
        os.environ.setdefault("JIEDAN_HOME", str(Path(folder) / "home"))
        found = count_statements(args, url)
    text = json.dumps(found, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
