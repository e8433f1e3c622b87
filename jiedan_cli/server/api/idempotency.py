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

import hashlib
import logging
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiedan_cli.domain.errors import TemporaryFailure
from jiedan_cli.server.api.request_bodies import header, read_body, replaying, send_problem
from jiedan_cli.server.db import Database
from jiedan_cli.server.services.actors import hash_token
from jiedan_cli.server.services.idempotency_keys import (
    IN_FLIGHT,
    REPLAY,
    REUSED,
    Claim,
    claim_key,
    release_key,
    store_answer,
)

log = logging.getLogger("jiedan.idempotency")

HEADER = b"idempotency-key"
KEY_MAX = 255


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
            claim = await run_in_threadpool(claim_key, db, caller, key, fingerprint, now)
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
            await run_in_threadpool(release_key, db, caller, key)
            raise
        start = next((m for m in answer if m["type"] == "http.response.start"), None)
        status = start["status"] if start else 500
        headers = list(start.get("headers", [])) if start else []
        try:
            if status >= 500 or status == 429:
                await run_in_threadpool(release_key, db, caller, key)
            elif _holds_secrets(headers):
                kept = await _not_kept_answer()
                await run_in_threadpool(store_answer, db, caller, key, *kept)
            else:
                body = b"".join(m.get("body", b"") for m in answer if m is not start)
                await run_in_threadpool(store_answer, db, caller, key, status, headers, body)
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


# ---- answers ------------------------------------------------------------------------------


async def _replay(send: Send, claim: Claim) -> None:
    headers = [*(claim.headers or []), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": claim.status, "headers": headers})
    await send({"type": "http.response.body", "body": claim.body})


async def _busy(send: Send, exc: TemporaryFailure) -> None:
    await send_problem(
        send, 503, "TemporaryFailure", exc.message, exc.code, [(b"retry-after", b"1")]
    )
