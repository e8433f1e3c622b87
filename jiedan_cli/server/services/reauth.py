"""The password asked again of a signed-in caller, before what a stolen token alone must not
do: turn two-factor sign-in on, change the password, close the account (issue #9).

Guesses are throttled as sign-in failures are (login_throttle, under the key
`password:<user id>`): the attempt is recorded before it is checked and the password verified
outside any transaction (Argon2 under a lock would queue writers behind it). What comes back
is a `PasswordProof`, which the service that acts checks against the user's row under its
lock: a password changed meanwhile refuses the proof."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select

from jiedan_cli.domain.errors import TooManyAttempts, Unauthenticated
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import users
from jiedan_cli.server.services import login_throttle
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.passwords import verify_password

WRONG_PASSWORD = "the password is wrong"


@dataclass(frozen=True)
class PasswordProof:
    """The caller showed the password whose hash is `password_hash`."""

    user_id: str
    password_hash: str

    def check(self, row: Row[Any]) -> None:
        """Refuse unless `row` (the user's, locked) still has the password that was shown."""
        if row.id != self.user_id or row.password_hash != self.password_hash:
            raise Unauthenticated(WRONG_PASSWORD, code="bad_credentials")


def throttle_key(user_id: str) -> str:
    return f"password:{user_id}"


def prove_password(
    db: Database, actor: Actor, password: str, *, now: datetime, address: str
) -> PasswordProof:
    """A proof that `password` is the actor's; Unauthenticated ("bad_credentials") when it
    is not, TooManyAttempts after repeated wrong ones (a refused attempt does not count)."""
    key = throttle_key(actor.id)
    attempt = login_throttle.open_attempt(db, email=key, address=address, now=now)
    try:
        with db.read() as conn:
            login_throttle.check_allowed(conn, email=key, address=None, now=now, attempt_id=attempt)
            stored = conn.scalar(select(users.c.password_hash).where(users.c.id == actor.id))
    except TooManyAttempts:
        login_throttle.forget(db, attempt)
        raise
    if stored is None or not verify_password(stored, password):
        with db.write() as conn:
            audit(conn, "password.refused", now=now, actor_id=actor.id, address=address)
        raise Unauthenticated(WRONG_PASSWORD, code="bad_credentials")
    with db.write() as conn:
        login_throttle.mark_success(conn, attempt)
    return PasswordProof(actor.id, stored)
