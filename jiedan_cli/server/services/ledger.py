"""The double-entry ledger (money.md): accounts with a balance, append-only transfers.

- A transfer's id is chosen before it is posted; posting a known id with the same fields
  returns the first result and moves nothing, with different fields it is a Conflict.
- Balances change by atomic `UPDATE … SET balance_fen = balance_fen - x WHERE … AND
  balance_fen >= x`, so no account but `external:*` can go negative, whatever runs at once.
- The accounts a posting touches are locked in sorted id order first, so two postings on
  PostgreSQL cannot wait on each other in a cycle — all but the shared ones (`platform:*`,
  `external:*`), which every release, fee and funding touches: their balances move last,
  just before the commit (`Database.write`'s before-commit work), in sorted order. So every
  transaction takes its own accounts' rows first and the shared rows last (still no cycle),
  and holds those for the commit alone, not for the rest of a long accept: with two workers,
  accepts had queued on `platform:fees` for seconds. Outside `Database.write` they move at
  once, as before."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from jiedan_cli.domain.errors import Refused
from jiedan_cli.domain.ledger import PAYOUT_KINDS, Transfer, may_go_negative, owner_of
from jiedan_cli.domain.money import CURRENCY
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.conflicts import insert_for
from jiedan_cli.server.db.engine import before_commit, deferred
from jiedan_cli.server.db.tables import ledger_accounts, ledger_transfers
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.changes import Kind, publish, register


def insert_or_ignore(conn: Connection, table: Any, **values: Any) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row was inserted. (RETURNING, not
    rowcount: psycopg reports no rowcount for it.) A concurrent twin of an uncommitted
    insert waits for it, then finds the key taken."""
    return insert_or_nothing(conn, table, **values) is not None


def insert_or_nothing(conn: Connection, table: Any, **values: Any) -> Row[Any] | None:
    """`insert_or_ignore` giving back the row it inserted (every column), None when the key
    was taken: a claim that needs its row does not read it again."""
    statement = insert_for(conn, table).values(**values).on_conflict_do_nothing()
    return conn.execute(statement.returning(*table.c)).first()


def ensure_accounts(conn: Connection, accounts: Sequence[str], *, now: datetime) -> None:
    """Create the accounts not yet known (an account exists from its first use): one
    statement, its rows in sorted order (two such inserts cannot wait on each other)."""
    if not accounts:
        return
    rows = [
        {"id": a, "owner_id": owner_of(a), "balance_fen": 0, "created_at": now}
        for a in sorted(set(accounts))
    ]
    conn.execute(insert_for(conn, ledger_accounts).values(rows).on_conflict_do_nothing())


def balance(conn: Connection, account: str) -> int:
    value = conn.scalar(
        select(ledger_accounts.c.balance_fen).where(ledger_accounts.c.id == account)
    )
    return int(value or 0)


def transfer_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source,
        "destination": row.destination,
        "amount_fen": row.amount_fen,
        "currency": CURRENCY,
        "kind": row.kind,
        "order_id": row.order_id,
        "milestone_id": row.milestone_id,
        "created_at": rfc3339(row.created_at),
    }


def entry_view(row: Row[Any], account: str, *, fee_fen: int = 0) -> dict[str, Any]:
    """One side of a transfer as its owner sees it: credits positive, debits negative.
    `fee_fen`: on a payout (release/resolve), the platform fee withheld from the same
    milestone — the freelancer never sees platform:fees, yet needs the fee for their books."""
    credit = row.destination == account
    return {
        "id": f"{row.id}:{'cr' if credit else 'dr'}",
        "transfer_id": row.id,
        "order_id": row.order_id,
        "kind": row.kind,
        "amount_fen": row.amount_fen if credit else -row.amount_fen,
        "fee_fen": fee_fen,
        "currency": CURRENCY,
        "account": account,
        "created_at": rfc3339(row.created_at),
    }


# An entry is published as entry_view builds it: one side of a transfer, for that side's owner.
register(
    Kind.LEDGER_ENTRY,
    view=dict,
    audience=lambda entry, _: (owner_of(entry["account"]),),
    key=lambda entry: str(entry["id"]),
)


def fees_withheld(transfers: Sequence[Transfer]) -> dict[str, int]:
    """milestone id → the fee posted with its payout (a payout and its fee go together)."""
    return {t.milestone_id: t.amount_fen for t in transfers if t.kind == "fee" and t.milestone_id}


def _as_transfer(row: Row[Any]) -> Transfer:
    return Transfer(
        id=row.id,
        source=row.source,
        destination=row.destination,
        amount_fen=row.amount_fen,
        kind=row.kind,
        order_id=row.order_id,
        milestone_id=row.milestone_id,
    )


SHARED_PREFIXES = ("platform:", "external:")
_SHARED_MOVES = "ledger_shared_moves"


def is_shared(account: str) -> bool:
    return account.startswith(SHARED_PREFIXES)


def lock_accounts(conn: Connection, accounts: set[str], *, now: datetime) -> None:
    """Create (if new) and lock `accounts` in sorted order — the shared ones excepted, which
    are locked when their balances move just before the commit (module docstring). Call it
    before anything that appends to the change log when a transfer on these accounts
    follows."""
    ensure_accounts(conn, sorted(accounts), now=now)
    own = sorted(a for a in accounts if not is_shared(a))
    if conn.dialect.name == "postgresql" and own:  # SQLite writers are already exclusive
        conn.execute(
            select(ledger_accounts.c.id)
            .where(ledger_accounts.c.id.in_(own))
            .order_by(ledger_accounts.c.id)
            .with_for_update()
        ).all()


def _move(conn: Connection, transfer: Transfer) -> None:
    """Debit and credit in sorted account order; refuse an overdraft. A shared account's
    change waits for the commit when the transaction allows it (module docstring): kept in a
    `deferred` list, so a savepoint that rolls back (a held or refused operation) takes its
    shared moves with it, and applied by a `before_commit` hook, before the change log."""
    pending = deferred(conn, _SHARED_MOVES, _applied_already)
    if pending is not None:
        before_commit(conn, _SHARED_MOVES, _move_shared)
    for account in sorted((transfer.source, transfer.destination)):
        delta = transfer.amount_fen if account == transfer.destination else -transfer.amount_fen
        if pending is not None and is_shared(account):
            pending.append((account, delta))
        else:
            _change_balance(conn, account, delta)


def _move_shared(conn: Connection) -> None:
    """The shared accounts' balances, last, in sorted order (before_commit's hook)."""
    pending = deferred(conn, _SHARED_MOVES, _applied_already) or []
    totals: dict[str, int] = {}
    for account, delta in pending:
        totals[account] = totals.get(account, 0) + delta
    pending.clear()
    for account in sorted(totals):
        if totals[account]:
            _change_balance(conn, account, totals[account])


def _applied_already(_conn: Connection, _items: list[Any]) -> None:
    """The deferred list's flush: nothing left, `_move_shared` applied and cleared it."""


def _change_balance(conn: Connection, account: str, delta: int) -> None:
    accounts = ledger_accounts.c
    change = update(ledger_accounts).where(accounts.id == account)
    if delta < 0 and not may_go_negative(account):
        change = change.where(accounts.balance_fen >= -delta)
    done = conn.execute(change.values(balance_fen=accounts.balance_fen + delta))
    if done.rowcount != 1:
        raise Refused(f"{account} holds less than {-delta} fen", code="insufficient_funds")


def post_transfers(
    conn: Connection, transfers: Sequence[Transfer], *, now: datetime, actor_id: str | None = None
) -> list[dict[str, Any]]:
    """Post several transfers in one go (e.g. a release and its fee), locking every account
    they touch in sorted order first. Returns each transfer's view, first result on a repeat."""
    for transfer in transfers:
        transfer.validate()
    touched = {a for t in transfers for a in (t.source, t.destination)}
    lock_accounts(conn, touched, now=now)
    fees = fees_withheld(transfers)
    return [
        _post_one(conn, t, now=now, actor_id=actor_id, fee_fen=_fee_of(t, fees)) for t in transfers
    ]


def _fee_of(transfer: Transfer, fees: dict[str, int]) -> int:
    if transfer.kind not in PAYOUT_KINDS or transfer.milestone_id is None:
        return 0
    return fees.get(transfer.milestone_id, 0)


def post_transfer(
    conn: Connection, transfer: Transfer, *, now: datetime, actor_id: str | None = None
) -> dict[str, Any]:
    """Post one transfer, idempotently by its id (see the module docstring)."""
    return post_transfers(conn, [transfer], now=now, actor_id=actor_id)[0]


def _post_one(
    conn: Connection, transfer: Transfer, *, now: datetime, actor_id: str | None, fee_fen: int = 0
) -> dict[str, Any]:
    # Claim the id first: a concurrent twin waits on the unique key, then finds it taken.
    claimed = insert_or_nothing(
        conn,
        ledger_transfers,
        id=transfer.id,
        source=transfer.source,
        destination=transfer.destination,
        amount_fen=transfer.amount_fen,
        kind=transfer.kind,
        order_id=transfer.order_id,
        milestone_id=transfer.milestone_id,
        created_at=now,
    )
    if claimed is None:
        taken = select(ledger_transfers).where(ledger_transfers.c.id == transfer.id)
        row = conn.execute(taken).one()
        _as_transfer(row).same_as(transfer)
        return transfer_view(row)
    row = claimed
    _move(conn, transfer)
    audit(
        conn,
        "ledger.transfer",
        now=now,
        actor_id=actor_id,
        target=transfer.id,
        kind=transfer.kind,
        source=transfer.source,
        destination=transfer.destination,
        amount_fen=transfer.amount_fen,
        order_id=transfer.order_id,
        milestone_id=transfer.milestone_id,
    )
    for account in (transfer.source, transfer.destination):
        owner = owner_of(account)
        if owner is not None:
            publish(conn, Kind.LEDGER_ENTRY, entry_view(row, account, fee_fen=fee_fen), now=now)
    return transfer_view(row)
