"""A user's sessions: listed (device, address, opened, last seen), revoked one by one or all
but the caller's, and the password changed (which revokes every other session).

A session is another user's business: an id that is not one of the caller's live sessions is
NotFound. Revoking is an UPDATE of `sessions`, so every process's token cache forgets at once
(services/actors.py: in this process directly, in the others by NOTIFY jiedan_auth), as a
logout does.

`last_seen_at` is not written on every request: `note_seen` moves it at most once per
SEEN_EVERY a session, by a conditional UPDATE that the token caches ignore (a session seen
is not a session changed); each process remembers when it last did so for a session, so a
busy session costs one write a process per SEEN_EVERY, not one a request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from jiedan_cli.domain.errors import NotFound
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import sessions, users
from jiedan_cli.server.services import totp
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.memo import AtMostEvery
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows
from jiedan_cli.server.services.reauth import PasswordProof
from jiedan_cli.server.services.rows import fetch_for_update

SEEN_EVERY = timedelta(minutes=5)


def _live(actor: Actor, now: datetime) -> Any:
    return (
        sessions.c.user_id == actor.id,
        sessions.c.revoked_at.is_(None),
        sessions.c.expires_at > now,
    )


def list_sessions(
    conn: Connection, actor: Actor, *, now: datetime, page: PageRequest | None = None
) -> Page:
    """The caller's live sessions, the newest first (by sign-in: `last_seen_at` moves, so it
    cannot order pages); `current` marks the one the request came with."""
    query = select(sessions).where(*_live(actor, now))
    key = (sessions.c.created_at, sessions.c.id)
    rows, cursor = keyset_rows(conn, query, key, page, newest_first=True)
    items = [
        {
            "id": row.id,
            "device": row.device,
            "address": row.address,
            "created_at": rfc3339(row.created_at),
            "last_seen_at": rfc3339(row.last_seen_at),
            "expires_at": rfc3339(row.expires_at),
            "current": row.token_hash == actor.token_hash,
        }
        for row in rows
    ]
    return Page(items, cursor)


def revoke_session(conn: Connection, actor: Actor, session_id: str, *, now: datetime) -> None:
    """End one of the caller's sessions (this one too, if so asked: a sign-out)."""
    revoked = conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, *_live(actor, now))
        .values(revoked_at=now)
    )
    if revoked.rowcount == 0:
        raise NotFound(f"no session {session_id}")
    audit(conn, "session.revoked", now=now, actor_id=actor.id, target=session_id)


def revoke_other_sessions(conn: Connection, actor: Actor, *, now: datetime) -> int:
    """End every session of the caller's but the one the request came with; how many."""
    revoked = conn.execute(
        update(sessions)
        .where(*_live(actor, now), sessions.c.token_hash != actor.token_hash)
        .values(revoked_at=now)
    )
    count = int(revoked.rowcount)
    audit(conn, "session.revoked_others", now=now, actor_id=actor.id, revoked=count)
    return count


def change_password(
    conn: Connection,
    actor: Actor,
    proof: PasswordProof,
    new_hash: str,
    *,
    otp: str | None,
    now: datetime,
    address: str | None = None,
) -> dict[str, int]:
    """The password (already hashed: `new_hash`) changed after the current one was shown
    (`proof`) and, with 2FA on, a current code; every other session ends."""
    proof.check(fetch_for_update(conn, users, actor.id, what="user"))
    totp.verify_step_up(conn, actor, otp, now=now, address=address)
    conn.execute(update(users).where(users.c.id == actor.id).values(password_hash=new_hash))
    revoked = revoke_other_sessions(conn, actor, now=now)
    audit(conn, "password.changed", now=now, actor_id=actor.id, address=address)
    return {"sessions_revoked": revoked}


# ---- last seen ------------------------------------------------------------------------------

_seen = AtMostEvery(SEEN_EVERY)  # by token hash: when this process last moved its last_seen_at


def seen_is_due(token_hash: str, now: datetime) -> bool:
    """Whether this process should try to move the session's last_seen_at (cheap, no I/O)."""
    return _seen.due(token_hash, now)


def note_seen(db: Database, token_hash: str, now: datetime) -> None:
    """Move last_seen_at to `now` unless it moved within SEEN_EVERY (by any process)."""
    with db.write() as conn:
        conn.execute(
            update(sessions)
            .where(sessions.c.token_hash == token_hash, sessions.c.last_seen_at < now - SEEN_EVERY)
            .values(last_seen_at=now)
        )
