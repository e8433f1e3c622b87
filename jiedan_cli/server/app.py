"""The application factory: `create_app(settings)` gives a ready FastAPI app."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import make_url

from jiedan_cli import __version__
from jiedan_cli.domain.timefmt import utcnow
from jiedan_cli.server.api import ROUTERS, problems
from jiedan_cli.server.api.access_log import AccessLog
from jiedan_cli.server.api.body_timeout import BodyTimeout
from jiedan_cli.server.api.delivery_files import CHUNK_ROUTE
from jiedan_cli.server.api.idempotency import IdempotencyKeys
from jiedan_cli.server.api.limits import BodyLimit
from jiedan_cli.server.api.orders import PageCache
from jiedan_cli.server.api.rate_limits import WriteLimiter, WriteRateLimit
from jiedan_cli.server.api.request_bodies import GzipRequests
from jiedan_cli.server.clock import Clock
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.jobs.scheduler import JobRunner
from jiedan_cli.server.services.actors import TokenCache
from jiedan_cli.server.services.auth_events import AuthEventListener
from jiedan_cli.server.services.secrets_box import register_key


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, migrate: bool = True
) -> FastAPI:
    settings = settings or Settings.from_env()
    settings.fill_secrets()
    settings.fill_rate_limit_storage()
    db = Database.from_settings(settings)
    register_key(db.engine, settings.secret_key, settings.old_secret_keys)
    if migrate and settings.migrate:
        db.migrate()
    jobs = JobRunner(db, settings, clock or utcnow)
    # Other processes' sign-in writes reach this one by LISTEN/NOTIFY (PostgreSQL); SQLite
    # serves from one process, whose own writes empty the cache directly.
    listen_url = make_url(settings.listen_database_url or settings.database_url)
    auth_events = AuthEventListener(listen_url) if db.is_postgres else None
    tokens = TokenCache(auth_events.listening) if auth_events else TokenCache()
    limiter = WriteLimiter(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        db.start_checkpointer()
        # What is loaded by now (SQLAlchemy, pydantic, FastAPI, the app) lives as long as the
        # process: kept out of the collector's full passes, which otherwise stalled every
        # request in flight for tens of ms (the p99 of P5/P6). Given back at shutdown.
        gc.freeze()
        if auth_events is not None:
            auth_events.start()
        if settings.run_jobs:
            jobs.start()
        try:
            yield
        finally:
            jobs.stop()
            if auth_events is not None:
                auth_events.stop()
            db.dispose()
            gc.unfreeze()

    app = FastAPI(
        title="jiedan platform",
        version=__version__,
        summary="The marketplace behind jiedan: orders, bids, escrow, ledger, sync.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock or utcnow
    app.state.jobs = jobs
    app.state.tokens = tokens
    app.state.order_pages = PageCache()
    app.state.write_limiter = limiter
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    # Outermost last: the request id and access log (which so see every answer), the write
    # rate limit (before a body is read), the body's pace, the body limit, then gzip
    # request bodies, then Idempotency-Key (which so fingerprints the decompressed body).
    app.add_middleware(IdempotencyKeys)
    app.add_middleware(GzipRequests, max_bytes=settings.max_body_bytes)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, routes=[CHUNK_ROUTE])
    app.add_middleware(BodyTimeout, seconds=settings.body_timeout_seconds)
    app.add_middleware(WriteRateLimit, limiter=limiter, db=db, tokens=tokens, clock=app.state.clock)
    app.add_middleware(AccessLog, log_requests=settings.access_log)
    return app
