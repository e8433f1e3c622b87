"""FastAPI dependencies: the database, the clock, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jiedan_cli.domain.errors import Unauthenticated
from jiedan_cli.server.clock import Clock
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db import Database
from jiedan_cli.server.services.actors import Actor, actor_for_token

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
    def user(self) -> Actor:
        if self.actor is None:
            raise Unauthenticated("sign in first")
        return self.actor


def _ctx(request: Request, actor: Actor | None) -> Ctx:
    state = request.app.state
    return Ctx(request, state.db, state.clock, state.settings, actor)


def optional_ctx(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Ctx:
    """Anonymous callers allowed; a token, when given, must be valid."""
    if credentials is None:
        return _ctx(request, None)
    state = request.app.state
    with state.db.read() as conn:
        actor = actor_for_token(conn, credentials.credentials, state.clock())
    return _ctx(request, actor)


def authed_ctx(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Ctx:
    """A signed-in caller is required."""
    if credentials is None:
        raise Unauthenticated("sign in first: this needs a bearer token")
    return optional_ctx(request, credentials)
