"""`Idempotency-Key` on POST, with Stripe's semantics.

A POST carrying the header runs at most once per (caller, key): the first request claims the
key (a row with no status: in flight), runs, and its response is stored; a retry with the
same key and the same request gets that stored response again, marked
`Idempotent-Replayed: true`. The same key on a different request is refused (422
`idempotency_key_reused`); a retry while the first is still running is refused (409
`idempotency_key_in_flight`). Responses of 5xx and 429 are not stored (they ask for a retry),
so the key is released for it. The caller is the bearer token's hash, or "anonymous".

The answer is held back until what a retry is to get is committed: a crash between the two
cannot make a retry run the request again. Answers that hold a secret (routes with the
`carries_secrets` dependency: `Cache-Control: no-store`) are never stored — a session token
or 2FA seed would lie in the table in plaintext; a retry with their key gets 409
`idempotency_answer_not_kept`.

A pure ASGI middleware: requests without the header pass straight through."""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiedan_cli.domain.errors import TemporaryFailure
from jiedan_cli.server.api.request_bodies import header, read_body, replaying, send_problem
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import idempotency_keys
from jiedan_cli.server.services.actors import hash_token
from jiedan_cli.server.services.housekeeping import IDEMPOTENCY_KEY_TTL

log = logging.getLogger("jiedan.idempotency")

HEADER = b"idempotency-key"
KEY_MAX = 255
KEY_TTL = IDEMPOTENCY_KEY_TTL  # after this a key may be used again (services/housekeeping.py)
# A claim this old with no response is taken to be abandoned (a crashed worker).
IN_FLIGHT_TIMEOUT = timedelta(minutes=5)

RUN, REPLAY, REUSED, IN_FLIGHT = "run", "replay", "reused", "in_flight"


@dataclass(frozen=True)
class Claim:
    verdict: str
    status: int = 0
    headers: list[tuple[bytes, bytes]] | None = None
    body: bytes = b""


class IdempotencyKeys:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw_key = header(scope, HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not 0 < len(key) <= KEY_MAX:
            detail = f"Idempotency-Key: 1 to {KEY_MAX} characters"
            await send_problem(send, 422, "Invalid request", detail, "invalid_input")
            return
        body = await read_body(receive)
        state = scope["app"].state
        db: Database = state.db
        now: datetime = state.clock()
        caller = _caller(scope)
        fingerprint = _fingerprint(scope, body)
        try:
            claim = await run_in_threadpool(_claim, db, caller, key, fingerprint, now)
        except TemporaryFailure as exc:
            await _busy(send, exc)
            return
        if claim.verdict == REPLAY:
            await _replay(send, claim)
        elif claim.verdict == REUSED:
            detail = "this Idempotency-Key was used for a different request"
            await send_problem(send, 422, "Key reused", detail, "idempotency_key_reused")
        elif claim.verdict == IN_FLIGHT:
            detail = "a request with this Idempotency-Key is still running; retry shortly"
            await send_problem(
                send,
                409,
                "Request in flight",
                detail,
                "idempotency_key_in_flight",
                [(b"retry-after", b"1")],
            )
        else:
            await self._run(scope, replaying(body, receive), send, db, caller, key)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, db: Database, caller: str, key: str
    ) -> None:
        """Run the request with its answer held back; the answer goes out only once what a
        retry is to get is committed (or the claim released), so a crash in between leaves a
        retry the stored answer, never a second run."""
        answer: list[Message] = []

        async def holding(message: Message) -> None:
            answer.append(message)

        try:
            await self.app(scope, receive, holding)
        except BaseException:
            await run_in_threadpool(_release, db, caller, key)
            raise
        start = next((m for m in answer if m["type"] == "http.response.start"), None)
        status = start["status"] if start else 500
        headers = list(start.get("headers", [])) if start else []
        try:
            if status >= 500 or status == 429:
                await run_in_threadpool(_release, db, caller, key)
            elif _holds_secrets(headers):
                kept = await _not_kept_answer()
                await run_in_threadpool(_store, db, caller, key, *kept)
            else:
                body = b"".join(m.get("body", b"") for m in answer if m is not start)
                await run_in_threadpool(_store, db, caller, key, status, headers, body)
        except Exception:  # the work is done: answer anyway; a stuck claim expires by itself
            log.exception("could not record the outcome of Idempotency-Key %r", key)
        for message in answer:
            await send(message)


# ---- answers that carry secrets -----------------------------------------------------------


def carries_secrets(response: Response) -> None:
    """A route dependency for answers that hold a secret (a session token, a 2FA seed): they
    are marked `Cache-Control: no-store` (RFC 6749 §5.1), and this middleware keeps none of
    them — a retry with the key gets `idempotency_answer_not_kept` instead."""
    response.headers["Cache-Control"] = "no-store"


def _holds_secrets(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"cache-control" and b"no-store" in value.lower() for name, value in headers
    )


async def _not_kept_answer() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """What a retry of an answer that held a secret gets: a problem, never the secret."""
    sent: list[Message] = []

    async def keep(message: Message) -> None:
        sent.append(message)

    detail = (
        "the answer to this request held a secret and is not kept; it was answered once."
        " Send the request again with a new Idempotency-Key (or none)"
    )
    await send_problem(keep, 409, "Answer not kept", detail, "idempotency_answer_not_kept")
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return 409, list(sent[0]["headers"]), body


# ---- the request's identity ---------------------------------------------------------------


def _caller(scope: Scope) -> str:
    authorization = (header(scope, b"authorization") or b"").decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return hash_token(token.strip())
    return "anonymous"


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b"")):
        digest.update(part + b"\n")
    digest.update(body)
    return digest.hexdigest()


# ---- storage (run in a worker thread) -----------------------------------------------------


def _claim(db: Database, caller: str, key: str, fingerprint: str, now: datetime) -> Claim:
    with db.write() as conn:
        row = _row(conn, caller, key)
        if row is None:
            if _insert_claim(conn, caller, key, fingerprint, now):
                return Claim(RUN)
            row = _row(conn, caller, key)
        if row.created_at <= now - KEY_TTL:
            return _take_over(conn, row, fingerprint, now)
        if row.request_hash != fingerprint:
            return Claim(REUSED)
        if row.status_code is None:
            if row.created_at <= now - IN_FLIGHT_TIMEOUT:
                return _take_over(conn, row, fingerprint, now)
            return Claim(IN_FLIGHT)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in row.headers]
        return Claim(REPLAY, row.status_code, headers, base64.b64decode(row.body))


def _row(conn: Connection, caller: str, key: str) -> Any:
    query = select(idempotency_keys).where(
        idempotency_keys.c.scope == caller, idempotency_keys.c.key == key
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def _insert_claim(conn: Connection, caller: str, key: str, fingerprint: str, now: datetime) -> bool:
    from sqlalchemy.dialects import postgresql, sqlite

    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    done = conn.execute(
        dialect.insert(idempotency_keys)
        .values(scope=caller, key=key, request_hash=fingerprint, created_at=now)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    return done.first() is not None


def _take_over(conn: Connection, row: Any, fingerprint: str, now: datetime) -> Claim:
    """Claim an expired or abandoned key afresh — only if nobody else just did."""
    done = conn.execute(
        update(idempotency_keys)
        .where(
            idempotency_keys.c.scope == row.scope,
            idempotency_keys.c.key == row.key,
            idempotency_keys.c.created_at == row.created_at,
        )
        .values(request_hash=fingerprint, status_code=None, headers=None, body=None, created_at=now)
    )
    return Claim(RUN) if done.rowcount == 1 else Claim(IN_FLIGHT)


def _store(
    db: Database,
    caller: str,
    key: str,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    with db.write() as conn:
        conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.scope == caller, idempotency_keys.c.key == key)
            .values(
                status_code=status,
                headers=[[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers],
                body=base64.b64encode(body).decode("ascii"),
            )
        )


def _release(db: Database, caller: str, key: str) -> None:
    with db.write() as conn:
        conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.scope == caller,
                idempotency_keys.c.key == key,
                idempotency_keys.c.status_code.is_(None),
            )
        )


# ---- answers ------------------------------------------------------------------------------


async def _replay(send: Send, claim: Claim) -> None:
    headers = [*(claim.headers or []), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": claim.status, "headers": headers})
    await send({"type": "http.response.body", "body": claim.body})


async def _busy(send: Send, exc: TemporaryFailure) -> None:
    await send_problem(
        send, 503, "TemporaryFailure", exc.message, exc.code, [(b"retry-after", b"1")]
    )
