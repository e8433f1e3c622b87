"""Renumbering the outbox when the server expects another seq than ours next.

The server answers `gap` (our seq is ahead of what it knows: it was restored from an older
backup) or `conflict` (our seq was taken by another operation: a copied replica sharing our
client_id) with the seq it will accept next. Pending operations then move, in their order, to
seqs starting there. op_ids do not change, so an operation the server already holds under
another seq is answered from storage, never applied twice (server/services/sync_push.py)."""

from __future__ import annotations

import sqlite3

from jiedan_cli.store.db import transaction


def resequence(conn: sqlite3.Connection, first: int) -> int:
    """Give the pending operations the seqs first, first+1, … in their current order, and
    make next_seq follow them. Done and rejected rows in the way move below every seq (they
    are history; their seq never goes on the wire again). Returns how many moved."""
    with transaction(conn):
        pending = [
            row[0]
            for row in conn.execute("SELECT seq FROM outbox WHERE state = 'pending' ORDER BY seq")
        ]
        wanted = list(range(first, first + len(pending)))
        _park(conn, pending)
        _move_history_out_of(conn, first)
        conn.executemany(
            "UPDATE outbox SET seq = ? WHERE seq = ?",
            [(target, -parked) for target, parked in zip(wanted, _parked(pending), strict=True)],
        )
        conn.execute("UPDATE sync_state SET next_seq = ? WHERE id = 1", (first + len(pending),))
    return sum(1 for old, new in zip(pending, wanted, strict=True) if old != new)


_PARK = 1 << 40  # far below any seq a row can hold, so parked rows collide with nothing


def _parked(seqs: list[int]) -> list[int]:
    return [_PARK + index for index in range(len(seqs))]


def _park(conn: sqlite3.Connection, seqs: list[int]) -> None:
    conn.executemany(
        "UPDATE outbox SET seq = ? WHERE seq = ?",
        [(-parked, seq) for parked, seq in zip(_parked(seqs), seqs, strict=True)],
    )


def _move_history_out_of(conn: sqlite3.Connection, first: int) -> None:
    history = [
        r[0]
        for r in conn.execute(
            "SELECT seq FROM outbox WHERE seq >= ? AND state != 'pending' ORDER BY seq", (first,)
        )
    ]
    if not history:
        return
    lowest = conn.execute("SELECT min(seq) FROM outbox WHERE seq > ?", (-_PARK,)).fetchone()[0]
    base = min(lowest, first, 1) - len(history)
    conn.executemany(
        "UPDATE outbox SET seq = ? WHERE seq = ?",
        [(base + offset, seq) for offset, seq in enumerate(history)],
    )
