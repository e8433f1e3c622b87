"""GET /healthz: the process answers. GET /readyz: and its database is ready to serve."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.exc import SQLAlchemyError

from jiedan_cli.domain.errors import TemporaryFailure
from jiedan_cli.server.api.problems import problem
from jiedan_cli.server.db.migrate import at_head

router = APIRouter(tags=["health"])
log = logging.getLogger("jiedan.health")

NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"description": "The database does not answer, or its schema is not the newest"}
}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=NOT_READY)
def readyz(request: Request) -> Any:
    """Ready for traffic: the database answers and is migrated to the newest revision (a
    process started with --no-migrate waits here for `jiedan server migrate`)."""
    db = request.app.state.db
    try:
        with db.read() as conn:
            migrated = at_head(conn)
    except (SQLAlchemyError, TemporaryFailure, OSError) as exc:
        log.warning("not ready: the database does not answer (%s)", type(exc).__name__)
        return problem(503, "Not ready", "the database does not answer", "not_ready")
    if not migrated:
        detail = "the database schema is not the newest: run `jiedan server migrate`"
        return problem(503, "Not ready", detail, "not_ready")
    return {"status": "ready"}
