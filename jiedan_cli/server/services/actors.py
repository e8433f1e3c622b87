"""Who is calling: the signed-in user with their roles, resolved from a bearer token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from jiedan_cli.domain.errors import Forbidden, Unauthenticated
from jiedan_cli.server.db.tables import sessions, users

STAFF_ROLES = frozenset({"support", "finance", "reviewer", "admin"})
MARKET_ROLES = frozenset({"client", "freelancer"})


@dataclass(frozen=True)
class Actor:
    id: str
    email: str
    name: str
    roles: frozenset[str]
    token_hash: str = ""

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def has(self, role: str) -> bool:
        return role in self.roles

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
    return Actor(row.id, row.email, row.name, parse_roles(row.roles), token_hash)
