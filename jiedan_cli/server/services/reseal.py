"""Re-sealing every secret kept at rest with the current server key (`jiedan server reseal`),
so that the keys in `old_secret_keys` can then be dropped.

Batch by batch, each in a transaction of its own, in primary-key order; a value is replaced
only if it is still the one read (a concurrent 2FA change wins, and is sealed with the
current key anyway), and one already sealed with the current key is left alone: running it
again moves nothing. Every column a service seals is listed in SEALED."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Column, Table, select, update

from jiedan_cli.domain.errors import ServerMisconfigured
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import users, verifications
from jiedan_cli.server.services import totp, verification
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.secrets_box import box_for

BATCH = 500


@dataclass(frozen=True)
class Sealed:
    """A column whose values a service seals with `box_for(conn, purpose)`."""

    table: Table
    key: Column[str]
    value: Column[str]
    purpose: str

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.value.name}"


SEALED = (
    Sealed(users, users.c.id, users.c.totp_secret, totp.BOX_PURPOSE),
    Sealed(
        verifications,
        verifications.c.id,
        verifications.c.id_number_encrypted,
        verification.BOX_PURPOSE,
    ),
)


@dataclass
class Resealed:
    """Rows moved to the current key per column, and the keys of rows no key opened."""

    moved: dict[str, int] = field(default_factory=dict)
    unopened: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.moved.values())


def reseal_all(db: Database, *, now: datetime, batch: int = BATCH) -> Resealed:
    """Move every sealed value to the current key (see the module's docstring)."""
    done = Resealed()
    for column in SEALED:
        done.moved[column.name], done.unopened[column.name] = _reseal(db, column, now, batch)
    return done


def _reseal(db: Database, column: Sealed, now: datetime, batch: int) -> tuple[int, list[str]]:
    moved, unopened, after = 0, [], ""
    while True:
        with db.write() as conn:
            box = box_for(conn, column.purpose)
            rows = conn.execute(
                select(column.key, column.value)
                .where(column.value.is_not(None), column.key > after)
                .order_by(column.key)
                .limit(batch)
            ).all()
            for key, value in rows:
                if box.is_current(value):
                    continue
                try:
                    fresh = box.reseal(value)
                except ServerMisconfigured:
                    unopened.append(key)
                    continue
                moved += conn.execute(
                    update(column.table)
                    .where(column.key == key, column.value == value)
                    .values({column.value.name: fresh})
                ).rowcount
        if len(rows) < batch:
            break
        after = rows[-1][0]
    if moved:
        with db.write() as conn:
            audit(conn, "secrets.resealed", now=now, target=column.name, rows=moved)
    return moved, unopened
