"""Money under concurrency, on SQLite and PostgreSQL: threads, each in its own transaction,
racing to pay out one milestone or to withdraw one balance. A milestone is paid out once;
a balance is never overdrawn; nobody deadlocks."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from jiedan_cli.domain.errors import JiedanError, TemporaryFailure
from jiedan_cli.domain.ledger import Transfer, freelancer_available
from jiedan_cli.domain.ledger import escrow as escrow_account
from jiedan_cli.server.services import earnings, escrow
from jiedan_cli.server.services.ledger import post_transfer
from tests.server.conftest import Server
from tests.server.escrow_flow import (
    act,
    actor_of,
    awarded,
    balances,
    completed,
    deliver,
    delivered,
    ok,
    staff,
    transfers,
)

PAYOUT_KINDS = ("release", "resolve")


def race(jobs: list[Callable[[], Any]]) -> Counter[str]:
    """Start every job at once; count outcomes by 'ok' or the refusal's code."""
    start = threading.Barrier(len(jobs))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    unexpected: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        start.wait()
        try:
            job()
            outcome = "ok"
        except TemporaryFailure:
            outcome = "temporary_failure"
        except JiedanError as refused:
            outcome = refused.code
        except BaseException as exc:
            unexpected.append(exc)
            return
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not unexpected, unexpected
    return outcomes


def in_transaction(server: Server, call: Callable[[Any], Any]) -> Callable[[], Any]:
    def job() -> Any:
        with server.db.write() as conn:
            return call(conn)

    return job


def race_for_one_payout(server: Server, support: Any) -> None:
    client, freelancer, order = delivered(server)
    order_id = order["id"]
    milestone_id = transfers(server, kind="fund", order_id=order_id)[0].milestone_id
    server.clock.advance(days=15)  # the auto-release is due as well
    now, client_actor = server.clock.now, actor_of(client)

    def accept() -> Any:
        with server.db.write() as conn:
            return escrow.accept_order(conn, client_actor, order_id=order_id, now=now)

    def auto_release() -> Any:
        return escrow.auto_release_due(server.db, server.settings, now)

    def dispute_then_resolve() -> Any:
        # Refused when the order moved on, or when the other thread opened it first.
        with suppress(JiedanError), server.db.write() as conn:
            escrow.open_dispute(conn, client_actor, order_id=order_id, reason="不满意", now=now)
        with server.db.write() as conn:
            return escrow.resolve_dispute(
                conn, support, order_id=order_id, to_freelancer_pct=60, now=now
            )

    outcomes = race([accept] * 3 + [auto_release] * 3 + [dispute_then_resolve] * 2)
    assert outcomes["temporary_failure"] == 0, outcomes
    paid = [t for t in transfers(server, milestone_id=milestone_id) if t.kind in PAYOUT_KINDS]
    assert len(paid) == 1, outcomes
    money = balances(server)
    assert money[escrow_account(milestone_id)] == 0
    assert money[freelancer_available(freelancer["id"])] == paid[0].amount_fen


def test_accept_auto_release_and_resolve_pay_a_milestone_once(server: Server) -> None:
    support = actor_of(staff(server, "support"))
    for _round in range(3):
        race_for_one_payout(server, support)


def test_one_transfer_id_posted_by_many_threads_moves_money_once(server: Server) -> None:
    _client, freelancer, order = delivered(server)
    milestone_id = transfers(server, kind="fund", order_id=order["id"])[0].milestone_id
    payout = Transfer(
        f"release:{milestone_id}",
        escrow_account(milestone_id),
        freelancer_available(freelancer["id"]),
        80_000,
        "release",
        order["id"],
        milestone_id,
    )
    results: list[dict[str, Any]] = []

    def post() -> None:
        with server.db.write() as conn:
            results.append(post_transfer(conn, payout, now=server.clock.now))

    outcomes = race([post] * 8)
    assert outcomes == Counter({"ok": 8})
    assert len({r["created_at"] for r in results}) == 1
    money = balances(server)
    assert money[escrow_account(milestone_id)] == 0
    assert money[freelancer_available(freelancer["id"])] == 80_000


def test_concurrent_withdrawals_never_overdraw(server: Server) -> None:
    _client, freelancer, _order = completed(server)  # 80,000 available
    who, now = actor_of(freelancer), server.clock.now

    def withdraw() -> Any:
        with server.db.write() as conn:
            return earnings.withdraw(conn, who, amount_fen=30_000, otp=None, now=now)

    outcomes = race([withdraw] * 8)
    assert outcomes == Counter({"ok": 2, "insufficient_funds": 6})
    assert balances(server)[freelancer_available(freelancer["id"])] == 20_000


def test_releases_and_withdrawals_of_one_freelancer_do_not_deadlock(server: Server) -> None:
    client, freelancer, _first = completed(server)  # 80,000 available, fees from now on
    orders = []
    for _ in range(3):
        _c, _f, order = awarded(server, client=client, freelancer=freelancer, amount_fen=10_000)
        ok(act(server, client, order["id"], "fund"))
        deliver(server, freelancer, order["id"])
        orders.append(order["id"])
    client_actor, who, now = actor_of(client), actor_of(freelancer), server.clock.now

    def accept(order_id: str) -> Callable[[], Any]:
        return in_transaction(
            server, lambda c: escrow.accept_order(c, client_actor, order_id=order_id, now=now)
        )

    def withdraw() -> Any:
        with server.db.write() as conn:
            return earnings.withdraw(conn, who, amount_fen=20_000, otp=None, now=now)

    outcomes = race([accept(o) for o in orders] + [withdraw] * 3)
    assert outcomes == Counter({"ok": 6}), outcomes
    money = balances(server)
    assert money[freelancer_available(freelancer["id"])] == 80_000 + 3 * 9_000 - 3 * 20_000
    assert money["platform:fees"] + money["platform:protection"] == 3 * 1_000
    assert sum(money.values()) == 0
