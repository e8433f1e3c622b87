"""Rate limits on writes: per signed-in user, and per address for a caller without a valid
token (register, sign-in, payment webhooks). Counted by the `limits` library in storage every
process of the deployment shares (Redis; memory:// on a single SQLite process) — one round
trip per write, none on reads (docs/decisions.md). A caller over its limit gets 429 with
Retry-After. A push is charged by its route, one unit per operation it carries.

The storage failing does not stop the marketplace: the write is served and a warning logged."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime

from fastapi.responses import JSONResponse
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from jiedan_cli.domain.errors import InvalidInput, JiedanError
from jiedan_cli.server.api.problems import problem
from jiedan_cli.server.api.request_bodies import header
from jiedan_cli.server.config import Settings, env_name
from jiedan_cli.server.db import Database
from jiedan_cli.server.services.actors import Actor, TokenCache

log = logging.getLogger("jiedan.server")

READS = frozenset({"GET", "HEAD", "OPTIONS"})
PUSH_PATH = "/v1/sync/push"  # charged by its route: one unit per operation


def parse_limit(settings: Settings, name: str) -> list[RateLimitItem]:
    text = getattr(settings, name)
    try:
        return list(parse_many(text))
    except ValueError:
        raise InvalidInput(
            f"{env_name(name)}: {text!r} is not a rate limit (e.g. 600/minute)"
        ) from None


def open_storage(settings: Settings) -> Storage:
    url = settings.rate_limit_storage or "memory://"
    options: dict[str, str | float | bool] = {}
    if url.startswith(("redis://", "rediss://", "redis+unix://")):
        options = {"implementation": "redispy", "key_prefix": settings.rate_limit_key_prefix}
    try:
        storage = storage_from_string(f"async+{url}", wrap_exceptions=True, **options)
    except Exception as exc:  # an unknown scheme, a driver not installed
        raise InvalidInput(f"{env_name('rate_limit_storage')}: {url!r}: {exc}") from None
    assert isinstance(storage, Storage)
    return storage


class WriteLimiter:
    """The deployment's counters. `charge` answers None (go ahead) or the seconds to wait."""

    def __init__(self, settings: Settings) -> None:
        self.per_user = parse_limit(settings, "rate_limit_user_writes")
        self.per_address = parse_limit(settings, "rate_limit_address_writes")
        self.refusal_audits = parse_limit(settings, "rate_limit_refusal_audits")
        self.strategy = FixedWindowRateLimiter(open_storage(settings))

    async def charge(self, limits: list[RateLimitItem], who: str, cost: int = 1) -> int | None:
        try:
            for limit in limits:
                if not await self.strategy.hit(limit, who, cost=cost):
                    stats = await self.strategy.get_window_stats(limit, who)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except StorageError as exc:
            log.warning("rate limits not counted: the storage failed (%s)", exc)
        return None


def refused(retry_after: int, limits: list[RateLimitItem], whose: str) -> JSONResponse:
    allowed = "; ".join(str(limit) for limit in limits)
    detail = f"too many writes from this {whose} (at most {allowed}); try again later"
    return problem(429, "Too many requests", detail, "rate_limited", retry_after=retry_after)


class WriteRateLimit:
    """Charge every write but a push to its caller: the user its bearer token names (when
    the token is known to this process's cache), else the address it comes from."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: WriteLimiter,
        db: Database,
        tokens: TokenCache,
        clock: Callable[[], datetime],
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.db = db
        self.tokens = tokens
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS or scope["path"] == PUSH_PATH:
            await self.app(scope, receive, send)
            return
        user = await self._user(scope)
        if user is not None:
            limits, who, whose = self.limiter.per_user, f"user:{user}", "account"
        else:
            limits, who, whose = self.limiter.per_address, f"address:{address(scope)}", "address"
        wait = await self.limiter.charge(limits, who)
        if wait is not None:
            await refused(wait, limits, whose)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _user(self, scope: Scope) -> str | None:
        """The token's user: from the cache, else read (and so cached for the route); None
        for a bad token, which is counted by address like no token."""
        credentials = header(scope, b"authorization")
        if not credentials or credentials[:7].lower() != b"bearer ":
            return None
        token, now = credentials[7:].strip().decode("latin-1"), self.clock()
        actor = self.tokens.get(token, now)
        if actor is None:
            try:
                actor = await run_in_threadpool(resolve_token, self.db, self.tokens, token, now)
            except JiedanError:  # unknown or expired (401), or the database busy (503)
                return None
        return actor.id


def resolve_token(db: Database, tokens: TokenCache, token: str, now: datetime) -> Actor:
    with db.read() as conn:
        return tokens.resolve(conn, token, now)


def address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
