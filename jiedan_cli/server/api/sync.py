"""POST /v1/sync/push and GET /v1/sync/pull — the protocol is docs/sync-protocol.md."""

from __future__ import annotations

import logging
import zlib
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from jiedan_cli.domain.errors import Conflict, TemporaryFailure
from jiedan_cli.domain.intents import Intent
from jiedan_cli.server import metrics
from jiedan_cli.server.api.deps import Ctx, syncing_ctx
from jiedan_cli.server.api.problems import problem
from jiedan_cli.server.api.rate_limits import WriteLimiter, refused
from jiedan_cli.server.services.fields import Whole
from jiedan_cli.server.services.sync_pull import (
    PULL_LIMIT_DEFAULT,
    PULL_LIMIT_MAX,
    pull_changes_json,
)
from jiedan_cli.server.services.sync_push import PushedOp, push_ops

router = APIRouter(prefix="/v1", tags=["sync"])
log = logging.getLogger("jiedan.sync")

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
ANOTHER_ACCOUNT: dict[str, Any] = {
    **PROBLEM,
    "description": "`user_id` is not the caller's (replica_of_another_account)",
}


async def replica_ctx(
    ctx: Ctx = Depends(syncing_ctx),
    user_id: str | None = Query(
        None,
        max_length=64,
        description="the account the client's replica belongs to: refused (409) unless it is"
        " the caller's — so a replica never pushes or pulls under another account's token",
    ),
) -> Ctx:
    """The sync caller, refused when the replica it syncs is another account's: the check the
    client made with a round trip of its own (`GET /v1/me`) before its first push."""
    if user_id is not None and user_id != ctx.user.id:
        raise Conflict(
            "this replica belongs to another account than the token's",
            code="replica_of_another_account",
        )
    return ctx


class PushOp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: Whole = Field(ge=1, le=2**62, description="+1 per operation of this client, from 1")
    op_id: UUID = Field(description="the operation's idempotency key, made by the client")
    intent: str = Field(min_length=1, max_length=40, examples=[Intent.PLACE_BID])
    # Checked per intent, so a malformed operation is rejected alone, not the whole batch.
    args: Any = Field(default_factory=dict, description="the intent's arguments (an object)")
    created_at: str | None = Field(
        default=None, max_length=64, description="when the user did it; display only"
    )


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    ops: list[PushOp] = Field(max_length=10_000)


class OpResult(BaseModel):
    seq: int
    op_id: str
    status: Literal["applied", "rejected", "held", "duplicate", "gap", "conflict"]
    outcome: Literal["applied", "rejected", "held"] | None = Field(
        default=None,
        description="for a duplicate: how the operation stands (a held one: as its reviewer"
        " decided, once decided)",
    )
    result: dict[str, Any] | None = None
    code: str | None = None
    reason: str | None = None
    hold_id: str | None = Field(
        default=None, description="held (or blocked) by the risk engine: the hold staff decide"
    )
    expected_seq: int | None = Field(
        default=None, description="for gap/conflict: the seq the server will accept next"
    )


class PushResponse(BaseModel):
    results: list[OpResult]
    last_seq: int


class Change(BaseModel):
    seq: int
    entity: str
    id: str
    op: Literal["put", "delete"]
    data: dict[str, Any] | None


class PullResponse(BaseModel):
    changes: list[Change]
    next_cursor: str
    has_more: bool
    last_seq: int
    epoch: str
    reset: bool


@router.post(
    "/sync/push",
    response_model=PushResponse,
    response_model_exclude_none=True,
    responses={
        401: PROBLEM,
        404: {**PROBLEM, "description": "the client_id belongs to another user"},
        409: ANOTHER_ACCOUNT,
        413: {**PROBLEM, "description": "too many operations, messages or bytes: send fewer"},
        429: {**PROBLEM, "description": "too many operations lately: retry after Retry-After"},
        422: PROBLEM,
        503: {**PROBLEM, "description": "busy: retry after Retry-After seconds"},
    },
)
async def push(body: PushRequest, ctx: Ctx = Depends(replica_ctx)) -> Any:
    """Apply queued operations in order; each is answered once and for all. A push is
    charged one write per operation (JIEDAN_SERVER_RATE_LIMIT_USER_WRITES)."""
    cap, messages = ctx.settings.push_max_ops, ctx.settings.push_max_messages
    if len(body.ops) > cap:
        return problem(
            413, "Too many operations", f"at most {cap} operations per push", "too_large"
        )
    if sum(op.intent == Intent.SEND_MESSAGE for op in body.ops) > messages:
        detail = f"at most {messages} messages per push"
        return problem(413, "Too many messages", detail, "too_large")
    limiter: WriteLimiter = ctx.request.app.state.write_limiter
    wait = await limiter.charge(limiter.per_user, f"user:{ctx.user.id}", cost=len(body.ops))
    if wait is not None:
        return refused(wait, limiter.per_user, "account")
    return await run_in_threadpool(_push, body, ctx)


def _push(body: PushRequest, ctx: Ctx) -> Any:
    ops = [PushedOp(op.seq, str(op.op_id), op.intent, op.args) for op in body.ops]
    outcome = push_ops(
        ctx.db,
        ctx.user,
        body.client_id,
        ops,
        now=ctx.now(),
        settings=ctx.settings,
        origin=ctx.origin,
    )
    for result in outcome["results"]:
        metrics.count_pushed(result["status"])
    funded = [
        str(op.args["order_id"])
        for op in ops
        if op.intent == Intent.FUND_ORDER and isinstance(op.args, dict) and op.args.get("order_id")
    ]
    if funded:
        _deliver_payment_notifications(ctx, funded)
    return outcome


@router.get(
    "/sync/pull",
    response_model=PullResponse,
    responses={401: PROBLEM, 404: PROBLEM, 409: ANOTHER_ACCOUNT, 422: PROBLEM, 503: PROBLEM},
)
def pull(
    request: Request,
    ctx: Ctx = Depends(replica_ctx),
    cursor: str | None = Query(None, max_length=100, description='"<epoch>:<seq>"; empty: start'),
    limit: int = Query(PULL_LIMIT_DEFAULT, ge=1, le=PULL_LIMIT_MAX),
    client_id: str | None = Query(None, max_length=64, description="to report its last_seq"),
) -> Any:
    """Changes visible to the caller after `cursor`, in commit order, a page at a time."""
    with ctx.db.read() as conn:
        body, count = pull_changes_json(
            conn, ctx.user, cursor=cursor, limit=limit, client_id=client_id
        )
    metrics.count_pull(count)
    # Encoded around the stored payloads (PullResponse documents its shape): validating and
    # re-encoding thousands of objects per page would be most of an initial sync's cost.
    headers = {"Vary": "Accept-Encoding"}
    if len(body) >= GZIP_MIN_BYTES and _accepts_gzip(request.headers.get("accept-encoding", "")):
        body = _gzip(body)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


# Pull pages are the big answers (an initial sync of 100k orders is ≈65 MB of JSON): level 1
# shrinks them ≈4.5× for ≈8 ms per MB; level 6 gains a fifth more for twice the CPU.
GZIP_LEVEL = 1
GZIP_MIN_BYTES = 1_000


def _gzip(body: bytes) -> bytes:
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
    return packer.compress(body) + packer.flush()


def _accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header allows gzip: named, or `*`, with a q above 0."""
    quality: dict[str, float] = {}
    for item in header.lower().split(","):
        name, *params = (part.strip() for part in item.split(";"))
        q = next((p[2:] for p in params if p.startswith("q=")), "1")
        try:
            quality.setdefault(name, float(q))
        except ValueError:
            quality.setdefault(name, 0.0)
    return quality.get("gzip", quality.get("*", 0.0)) > 0


def _deliver_payment_notifications(ctx: Ctx, order_ids: list[str]) -> None:
    """Funding through the sandbox completes when its notification arrives, which the REST
    route and a push that funded an order both deliver once their transaction committed —
    for their own orders only: what a crash left behind is the scheduled job's to sweep."""
    from jiedan_cli.server.services.funding import deliver_pending_notifications

    try:
        deliver_pending_notifications(ctx.db, ctx.settings, ctx.now(), order_ids=order_ids)
    except TemporaryFailure:  # the ops are stored; the scheduled job notifies later
        log.warning("sandbox notifications deferred: the database is busy")
