"""The ledger's posting rules on a real database: double entry, idempotent ids, no
overdraft but on external accounts, an audit line and a change per owner for every movement."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from jiedan_cli.domain.errors import Conflict, InvalidInput, Refused
from jiedan_cli.domain.ledger import Transfer, escrow, external, freelancer_available
from jiedan_cli.server.db.tables import audit_log, change_audience, change_log, ledger_transfers
from jiedan_cli.server.services.ledger import balance, post_transfer, post_transfers
from tests.server.conftest import Server
from tests.server.escrow_flow import balances
from tests.server.statements import Statements

FREELANCER = "0190a8f0-0000-7000-8000-000000000001"


def post(server: Server, transfer: Transfer) -> dict[str, object]:
    with server.db.write() as conn:
        return post_transfer(conn, transfer, now=server.clock.now)


def fund(amount: int = 10_000, transfer_id: str = "fund:1") -> Transfer:
    return Transfer(transfer_id, external("sandbox"), escrow("m1"), amount, "fund")


def test_a_transfer_moves_money_between_two_accounts_summing_to_zero(server: Server) -> None:
    view = post(server, fund())
    assert view["amount_fen"] == 10_000 and view["kind"] == "fund"
    assert balances(server) == {"external:sandbox": -10_000, "escrow:m1": 10_000}


def test_reposting_a_known_id_returns_the_first_result_and_moves_nothing(server: Server) -> None:
    first = post(server, fund())
    server.clock.advance(minutes=5)
    again = post(server, fund())
    assert again == first
    assert balances(server)["escrow:m1"] == 10_000
    with server.db.read() as conn:
        assert conn.scalar(select(func.count()).select_from(ledger_transfers)) == 1


def test_a_known_id_with_other_fields_is_a_conflict(server: Server) -> None:
    post(server, fund())
    with pytest.raises(Conflict) as refused:
        post(server, fund(amount=9_999))
    assert refused.value.code == "transfer_mismatch"
    assert balances(server)["escrow:m1"] == 10_000


def test_an_overdraft_is_refused_and_leaves_nothing_behind(server: Server) -> None:
    post(server, fund(amount=500))
    overdraw = Transfer(
        "release:m1", escrow("m1"), freelancer_available(FREELANCER), 501, "release"
    )
    with pytest.raises(Refused) as refused:
        post(server, overdraw)
    assert refused.value.code == "insufficient_funds"
    assert balances(server)["escrow:m1"] == 500
    with server.db.read() as conn:
        assert conn.scalar(select(func.count()).select_from(ledger_transfers)) == 1


def test_only_external_accounts_may_go_negative(server: Server) -> None:
    post(server, fund(amount=7))
    assert balances(server)["external:sandbox"] == -7
    with pytest.raises(Refused):
        post(server, Transfer("x", freelancer_available(FREELANCER), escrow("m2"), 1, "release"))


@pytest.mark.parametrize(
    "transfer",
    [
        Transfer("a", "external:sandbox", "escrow:m", 0, "fund"),
        Transfer("b", "external:sandbox", "escrow:m", -5, "fund"),
        Transfer("c", "escrow:m", "escrow:m", 5, "fund"),
    ],
)
def test_malformed_transfers_are_invalid_input(server: Server, transfer: Transfer) -> None:
    with pytest.raises(InvalidInput):
        post(server, transfer)


def test_a_batch_is_all_or_nothing(server: Server) -> None:
    post(server, fund(amount=1_000))
    pay = Transfer("release:m1", escrow("m1"), freelancer_available(FREELANCER), 900, "release")
    too_much = Transfer("fee:m1", escrow("m1"), "platform:fees", 200, "fee")
    with pytest.raises(Refused), server.db.write() as conn:
        post_transfers(conn, [pay, too_much], now=server.clock.now)
    with server.db.read() as conn:
        assert balance(conn, escrow("m1")) == 1_000
        assert balance(conn, freelancer_available(FREELANCER)) == 0


def test_every_movement_is_audited_and_sent_to_its_owner(server: Server) -> None:
    post(server, fund())
    pay = Transfer("release:m1", escrow("m1"), freelancer_available(FREELANCER), 9_000, "release")
    post(server, pay)
    post(server, pay)  # a repeat is neither audited nor logged again
    with server.db.read() as conn:
        audited = conn.execute(
            select(audit_log.c.target).where(audit_log.c.action == "ledger.transfer")
        ).scalars()
        assert sorted(audited) == ["fund:1", "release:m1"]
        entries = conn.execute(
            select(change_log.c.payload, change_audience.c.user_id)
            .join(change_audience, change_audience.c.seq == change_log.c.seq)
            .where(change_log.c.entity == "ledger_entry")
        ).all()
    assert len(entries) == 1  # escrow and external accounts have no owner
    payload, owner = entries[0]
    assert owner == FREELANCER
    assert payload["amount_fen"] == 9_000 and payload["kind"] == "release"
    assert payload["account"] == freelancer_available(FREELANCER)


def test_a_debit_is_a_negative_entry_for_its_owner(server: Server) -> None:
    post(server, fund())
    post(server, Transfer("r", escrow("m1"), freelancer_available(FREELANCER), 100, "release"))
    post(
        server, Transfer("w", freelancer_available(FREELANCER), external("sandbox"), 60, "withdraw")
    )
    with server.db.read() as conn:
        amounts = conn.execute(
            select(change_log.c.payload).where(change_log.c.entity == "ledger_entry")
        ).scalars()
        assert sorted(p["amount_fen"] for p in amounts) == [-60, 100]


class Abandoned(Exception):
    pass


def test_shared_accounts_move_when_the_transaction_commits_and_not_if_it_does_not(
    server: Server,
) -> None:
    """platform:* and external:* rows are changed last, just before the commit (summed per
    account), so a long transaction holds them only for its commit; the books are the same."""
    with server.db.write() as conn:
        post_transfer(conn, fund(10_000, "fund:a"), now=server.clock.now)
        post_transfer(conn, fund(5_000, "fund:b"), now=server.clock.now)
        assert balance(conn, "escrow:m1") == 15_000  # its own accounts move at once
        assert balance(conn, "external:sandbox") == 0  # the shared one at the commit
    assert balances(server) == {"external:sandbox": -15_000, "escrow:m1": 15_000}
    with pytest.raises(Abandoned), server.db.write() as conn:
        post_transfer(conn, fund(1_000, "fund:c"), now=server.clock.now)
        raise Abandoned
    assert balances(server) == {"external:sandbox": -15_000, "escrow:m1": 15_000}
    # The next transaction on the same pooled connection starts with nothing left over.
    post(server, fund(2_000, "fund:d"))
    assert balances(server) == {"external:sandbox": -17_000, "escrow:m1": 17_000}


def test_a_shared_account_that_cannot_pay_refuses_at_the_commit(server: Server) -> None:
    """No account but external:* goes negative: a platform account's debit is checked when it
    is applied, and refusing it there rolls the whole transaction back."""
    paid = Transfer("fee:x", escrow("m1"), "platform:fees", 3_000, "fee")
    post(server, fund(10_000, "fund:a"))
    post(server, paid)
    too_much = Transfer("promo:x", "platform:fees", escrow("m1"), 5_000, "fund")
    with pytest.raises(Refused, match="platform:fees holds less than 5000 fen"):
        post(server, too_much)
    assert balances(server) == {
        "external:sandbox": -10_000,
        "escrow:m1": 7_000,
        "platform:fees": 3_000,
    }
    with server.db.read() as conn:
        assert conn.scalar(select(func.count()).where(ledger_transfers.c.id == "promo:x")) == 0


def test_a_savepoint_rolled_back_takes_its_shared_accounts_moves_with_it(server: Server) -> None:
    """A held or refused operation runs in a savepoint (services/holds.py, grouped push): its
    transfers go with it — the shared accounts' too, whose balances move just before the
    commit. Before, their pending deltas outlived the savepoint: external:sandbox moved
    without its transfer and the balances no longer summed to zero."""
    with server.db.write() as conn:
        post_transfer(conn, fund(4_000, "fund:kept"), now=server.clock.now)
        undone = conn.begin_nested()
        post_transfer(conn, fund(10_000, "fund:undone"), now=server.clock.now)
        undone.rollback()
    money = balances(server)
    assert money == {"external:sandbox": -4_000, "escrow:m1": 4_000}
    assert sum(money.values()) == 0


def test_a_posting_creates_its_accounts_in_one_statement_and_reads_nothing_back(
    server: Server,
) -> None:
    """A release and its fee touch three accounts, new or not: one INSERT creates those
    missing, and each transfer's claim returns its row (no SELECT of ledger_transfers)."""
    post(server, fund())
    payout = [
        Transfer("release:m1", escrow("m1"), freelancer_available(FREELANCER), 9_000, "release"),
        Transfer("fee:m1", escrow("m1"), "platform:fees", 1_000, "fee", milestone_id="m1"),
    ]
    with Statements(server.db) as sent, server.db.write() as conn:
        post_transfers(conn, payout, now=server.clock.now)
    assert sum(s.startswith("insert into ledger_accounts") for s in sent) == 1, sent
    assert not [s for s in sent if s.startswith("select") and "ledger_transfers" in s], sent
    assert balances(server) == {
        "external:sandbox": -10_000,
        "escrow:m1": 0,
        f"freelancer:{FREELANCER}:available": 9_000,
        "platform:fees": 1_000,
    }
