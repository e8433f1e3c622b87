"""Who is calling: the signed-in user with their roles, resolved from a bearer token."""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Pool, event, select

from jiedan_cli.domain.errors import Forbidden, Unauthenticated
from jiedan_cli.server.db.tables import sessions, users

STAFF_ROLES = frozenset({"support", "finance", "reviewer", "admin"})


@dataclass(frozen=True)
class Actor:
    id: str
    email: str
    name: str
    roles: frozenset[str]
    token_hash: str = ""

    def require(self, *roles: str) -> None:
        """Refuse unless the actor holds one of `roles` (admins hold every staff role)."""
        if self.roles & set(roles):
            return
        if "admin" in self.roles and set(roles) & STAFF_ROLES:
            return
        raise Forbidden(f"this needs the role {' or '.join(roles)}")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_roles(text: str) -> frozenset[str]:
    return frozenset(r for r in text.split(",") if r)


def actor_for_token(conn: Connection, token: str, now: datetime) -> Actor:
    return _actor_and_expiry(conn, token, now)[0]


def _actor_and_expiry(conn: Connection, token: str, now: datetime) -> tuple[Actor, datetime]:
    token_hash = hash_token(token)
    row = conn.execute(
        select(
            users.c.id,
            users.c.email,
            users.c.name,
            users.c.roles,
            users.c.status,
            sessions.c.expires_at,
            sessions.c.revoked_at,
        )
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.token_hash == token_hash)
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthenticated("the token is invalid or has expired; sign in again")
    if row.status != "active":
        raise Unauthenticated("this account is closed")
    actor = Actor(row.id, row.email, row.name, parse_roles(row.roles), token_hash)
    return actor, row.expires_at


# ---- a small in-process cache of token → Actor ------------------------------------------
#
# Every signed-in request starts by resolving its token; a cache saves that transaction.
# A cached actor is used only while (a) nothing has changed `users` or `sessions` since it was
# read — any UPDATE/DELETE of either table, through any engine of this process, empties every
# cache here at once (logout, revocation, roles, account closure), and on PostgreSQL the
# writing transaction also sends `NOTIFY jiedan_auth`, which every other process's listener
# (services/auth_events.py) turns into the same emptying, within milliseconds of the commit;
# (b) its session has not expired by the request's clock; (c) the cache is trusted — on
# PostgreSQL only while this process's listener is connected and listening; and (d) it is
# younger than TOKEN_CACHE_SECONDS, a backstop (docs/decisions.md).

AUTH_CHANNEL = "jiedan_auth"
TOKEN_CACHE_SECONDS = 10.0
TOKEN_CACHE_MAX = 10_000

# A session's last_seen_at moving alone (services/sessions.note_seen) changes no actor: it
# empties no cache and sends no NOTIFY, or every few minutes of each session would.
_AUTH_WRITE = re.compile(
    r'\s*(?:UPDATE|DELETE\s+FROM)\s+(?:"?\w+"?\.)?"?(?:users|sessions)"?(?:\s|$)'
    r'(?!SET\s+"?last_seen_at"?\s*=\s*\S+\s+WHERE\s)',
    re.IGNORECASE,
)
_generation = itertools.count(1)
_current = [0]  # the generation cached entries must carry to be used


def forget_cached_actors() -> None:
    """Invalidate every cached actor in this process."""
    _current[0] = next(_generation)


@event.listens_for(Engine, "before_cursor_execute")
def _watch_auth_writes(
    conn: Connection, cursor: Any, statement: str, *_args: Any, **_kwargs: Any
) -> None:
    if _AUTH_WRITE.match(statement):
        conn.info["auth_written"] = True
        forget_cached_actors()
        if conn.dialect.name == "postgresql":
            # Sent in the writing transaction: delivered to the other processes when it
            # commits, never when it rolls back (repeats within one are sent once).
            cursor.connection.execute(_NOTIFY)


_NOTIFY = f"NOTIFY {AUTH_CHANNEL}"


@event.listens_for(Pool, "checkin")
def _after_auth_write(_dbapi_conn: Any, record: Any) -> None:
    # The connection is back in the pool, so its transaction has ended: a reader that began
    # before the commit may have cached what it changed, so invalidate once more.
    if record is not None and record.info.pop("auth_written", False):
        forget_cached_actors()


@dataclass(frozen=True)
class _Cached:
    actor: Actor
    expires_at: datetime
    generation: int
    read_at: float


class TokenCache:
    """token hash → Actor for one database; see the comment above for when it is trusted.
    `trusted()` says whether cached entries may be used at all (on PostgreSQL: while this
    process hears other processes' auth writes)."""

    def __init__(self, trusted: Callable[[], bool] = lambda: True) -> None:
        self._entries: dict[str, _Cached] = {}
        self._trusted = trusted

    def get(self, token: str, now: datetime) -> Actor | None:
        if not self._trusted():
            return None
        found = self._entries.get(hash_token(token))
        if found is None:
            return None
        fresh = time.monotonic() - found.read_at < TOKEN_CACHE_SECONDS
        if found.generation != _current[0] or not fresh or found.expires_at <= now:
            return None
        return found.actor

    def resolve(self, conn: Connection, token: str, now: datetime) -> Actor:
        """`actor_for_token`, remembered. `conn`: a transaction that has read nothing yet."""
        generation, read_at = _current[0], time.monotonic()
        actor, expires_at = _actor_and_expiry(conn, token, now)
        if generation == _current[0]:  # nothing changed users/sessions while we read
            if len(self._entries) >= TOKEN_CACHE_MAX:
                self._entries.clear()
            self._entries[actor.token_hash] = _Cached(actor, expires_at, generation, read_at)
        return actor
