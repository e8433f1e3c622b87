"""FastAPI dependencies: the database, the clock, and who is calling."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from jiedan_cli.domain.errors import RiskStopped, Unauthenticated
from jiedan_cli.domain.intents import Intent
from jiedan_cli.server.api.write_thread import WriteThread
from jiedan_cli.server.clock import Clock
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.engine import WRITE_WAIT_SECONDS
from jiedan_cli.server.services import devices, holds, intents, risk, sessions
from jiedan_cli.server.services.actors import Actor, TokenCache
from jiedan_cli.server.services.arguments import Args

T = TypeVar("T")
log = logging.getLogger("jiedan.sessions")
bearer = HTTPBearer(auto_error=False, description="a session token from POST /v1/auth/login")


@dataclass
class Ctx:
    """What a route needs: storage, time, settings, the caller (None when anonymous)."""

    request: Request
    db: Database
    clock: Clock
    settings: Settings
    actor: Actor | None

    def now(self) -> datetime:
        return self.clock()

    @property
    def address(self) -> str:
        client = self.request.client
        return client.host if client else "unknown"

    @property
    def install(self) -> str:
        """The client's install id (X-Jiedan-Install), or "" when missing or malformed."""
        return devices.install_id(self.request.headers.get(devices.INSTALL_HEADER))

    @property
    def origin(self) -> risk.Origin:
        """Where this request came from, for the risk engine (services/risk.py)."""
        return risk.Origin(self.install, self.address, self.settings)

    @property
    def user(self) -> Actor:
        if self.actor is None:
            raise Unauthenticated("sign in first")
        return self.actor

    def perform(self, intent: Intent, args: Args) -> dict[str, Any]:
        """The operation `intent` by the signed-in caller, in one write transaction, as a
        push of it runs (services/intents.perform)."""
        now = self.now()
        return self.write_gated(
            lambda conn: intents.perform(
                conn, self.user, intent, args, now=now, settings=self.settings, origin=self.origin
            ),
            intent=str(intent),
            args=args.model_dump(mode="json", exclude_unset=True),
        )

    def write_gated(
        self,
        call: Callable[[Connection], T],
        *,
        intent: str,
        args: dict[str, Any],
        always_holds: bool = False,
    ) -> T:
        """`call(conn)` in one write transaction; when the risk engine stops it, the hold is
        committed in its place (services/holds.gated) and the RiskStopped raised after the
        commit: problems.py answers 202 with the hold, or the block's 409. `always_holds`:
        the call can be held with the engine off too (the new-account withdrawal cap)."""
        stopped: RiskStopped | None = None
        with self.db.write() as conn:
            try:
                return holds.gated(
                    conn,
                    self.user,
                    lambda: call(conn),
                    intent=intent,
                    args=args,
                    now=self.now(),
                    settings=self.settings,
                    undo=always_holds,
                )
            except RiskStopped as stop:
                stopped = stop
        raise stopped


def _ctx(request: Request, actor: Actor | None) -> Ctx:
    state = request.app.state
    return Ctx(request, state.db, state.clock, state.settings, actor)


async def optional_ctx(
    request: Request,
    background: BackgroundTasks,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Ctx:
    """Anonymous callers allowed; a token, when given, must be valid.

    `async` so a cached token costs no trip to the threadpool; a miss reads in the pool.
    The session's last_seen_at moves after the answer, and only every few minutes."""
    if credentials is None:
        return _ctx(request, None)
    state = request.app.state
    token, now = credentials.credentials, state.clock()
    actor = state.tokens.get(token, now)
    if actor is None:
        actor = await run_in_threadpool(_resolve, state.db, state.tokens, token, now)
    if sessions.seen_is_due(actor.token_hash, now):
        background.add_task(_note_seen, state.db, actor.token_hash, now)
    return _ctx(request, actor)


def _note_seen(db: Database, token_hash: str, now: datetime) -> None:
    try:
        sessions.note_seen(db, token_hash, now)
    except Exception as exc:  # a busy database: the next request after SEEN_EVERY tries again
        log.warning("last seen not recorded (%s)", exc)


def _resolve(db: Database, tokens: TokenCache, token: str, now: datetime) -> Actor:
    with db.read() as conn:
        return tokens.resolve(conn, token, now)


async def authed_ctx(
    request: Request,
    background: BackgroundTasks,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Ctx:
    """A signed-in caller is required."""
    if credentials is None:
        raise Unauthenticated("sign in first: this needs a bearer token")
    return await optional_ctx(request, background, credentials)


async def syncing_ctx(background: BackgroundTasks, ctx: Ctx = Depends(authed_ctx)) -> Ctx:
    """A signed-in caller that syncs: the install and address it syncs from are linked to its
    account (services/devices) after the answer, at most once per LINK_EVERY a link."""
    user, install, address, now = ctx.user.id, ctx.install, ctx.address, ctx.now()
    if devices.link_is_due(user, install, address, now):
        background.add_task(_note_link, ctx.db, user, install, address, now)
    return ctx


def _note_link(db: Database, user_id: str, install: str, address: str, now: datetime) -> None:
    try:
        devices.note_link(db, user_id, install, address, now)
    except Exception as exc:  # a busy database: the next sync after LINK_EVERY tries again
        log.warning("device link not recorded (%s)", exc)


# ---- SQLite writers take turns as coroutines -------------------------------------------------

# One writer thread per SQLite database (api/write_thread.py).
_WRITE_THREADS: weakref.WeakKeyDictionary[Database, WriteThread] = weakref.WeakKeyDictionary()
_WRITE_THREADS_LOCK = threading.Lock()


def end_write_turns(db: Database) -> None:
    """Stop `db`'s writer thread (SQLite), once what it was given is done — for an app
    driven in-process that is done (the seed's: server/seed_live.py)."""
    with _WRITE_THREADS_LOCK:
        writer = _WRITE_THREADS.pop(db, None)
    if writer is not None:
        writer.stop()


def writes_waiting(db: Database) -> int:
    """Writes queued for `db`'s writer thread and not yet taken up (SQLite; 0 elsewhere)."""
    with _WRITE_THREADS_LOCK:
        writer = _WRITE_THREADS.get(db)
    return 0 if writer is None else writer.waiting()


async def in_write_turn(db: Database, call: Callable[[], T], *, grouped: bool = False) -> T:
    """`call()` in a worker thread, as FastAPI runs a sync route — but on SQLite, whose
    writers take turns anyway (`Database.write`'s lock), on the database's one writer thread,
    one at a time in the order they came, the others waiting as coroutines: under 32
    concurrent bidders, 32 threads blocked on that lock and woken in turn cost ≈15% of a
    bid's CPU, and anyio's pool and limiter hand-offs ≈ 0.25–0.35 ms more a write than the
    writer thread's queue (api/write_thread.py). Waiting longer than a write may wait for the
    lock is a TemporaryFailure (503), as there. On PostgreSQL writers run side by side.

    `grouped`: on SQLite, `call` may share a transaction with the grouped calls queued
    beside it (group commit: api/write_thread.py) — for a call whose work is one
    `Database.write` and its answer, with nothing after the write that needs it committed
    (a read on another connection, a second transaction, something outside the database)."""
    if not db.is_sqlite:
        return await anyio.to_thread.run_sync(call)
    with _WRITE_THREADS_LOCK:
        writer = _WRITE_THREADS.get(db)
        if writer is None:
            writer = _WRITE_THREADS[db] = WriteThread("jiedan-sqlite-writer", db.write_group)
    return await writer.run(call, wait=WRITE_WAIT_SECONDS, grouped=grouped)
