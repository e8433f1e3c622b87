"""RFC 9457 problem+json for every error, and the one mapping from our error types to HTTP."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from jiedan_cli.domain.errors import (
    Conflict,
    Forbidden,
    Held,
    InvalidInput,
    JiedanError,
    NotFound,
    Refused,
    RiskStopped,
    ServerMisconfigured,
    TemporaryFailure,
    TooLarge,
    TooManyAttempts,
    Unauthenticated,
)
from jiedan_cli.server.services.plain_errors import plain, where

PROBLEM = "application/problem+json"
log = logging.getLogger("jiedan.server")

STATUS_FOR: tuple[tuple[type[JiedanError], int], ...] = (
    (TooLarge, 413),
    (InvalidInput, 422),
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (TooManyAttempts, 429),
    (Refused, 409),
    (Unauthenticated, 401),
    (TemporaryFailure, 503),
    (ServerMisconfigured, 500),
)


def status_for(exc: JiedanError) -> int:
    for kind, status in STATUS_FOR:
        if isinstance(exc, kind):
            return status
    return 400


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://jiedan.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def held(exc: Held) -> JSONResponse:
    """202 Accepted: the action waits for a reviewer (HoldOut, api/holds.py)."""
    body = {"id": exc.hold_id, "status": "held", "action": exc.action, "reason": exc.reason}
    return JSONResponse(body, status_code=202)


def _audit_refusal(request: Request, exc: JiedanError, status: int) -> None:
    """Permission failures go to the audit log in their own transaction: the refused
    operation's transaction has been rolled back, and its audit row with it. A 403 names
    the signed-in caller who tried."""
    from jiedan_cli.server.services.actors import hash_token
    from jiedan_cli.server.services.audit import audit
    from jiedan_cli.server.services.staff_audit import user_id_for_token

    state = request.app.state
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    client = request.client
    with state.db.write() as conn:
        audit(
            conn,
            "permission_denied" if status == 403 else "unauthenticated",
            now=state.clock(),
            actor_id=user_id_for_token(conn, token) if token and status == 403 else None,
            target=f"{request.method} {request.url.path}",
            address=client.host if client else None,
            token=hash_token(token)[:12] if token else None,
            code=exc.code,
        )


def install(app: FastAPI) -> None:
    @app.exception_handler(JiedanError)
    async def _jiedan(request: Request, exc: JiedanError) -> JSONResponse:
        if isinstance(exc, Held) and exc.hold_id:
            return held(exc)
        status = status_for(exc)
        if status in (401, 403):
            await run_in_threadpool(_audit_refusal, request, exc, status)
        if status == 500:  # the operator's to fix (503 is only busy)
            log.error("%s %s: %s (%s)", request.method, request.url.path, exc.message, exc.code)
        extra: dict[str, Any] = {}
        if exc.field:
            extra["field"] = exc.field
        if isinstance(exc, TooManyAttempts):
            extra["retry_after"] = exc.retry_after
        if isinstance(exc, TemporaryFailure):
            extra["retry_after"] = 1
        if isinstance(exc, RiskStopped) and exc.hold_id:
            extra["hold_id"] = exc.hold_id
        return problem(status, type(exc).__name__, exc.message, exc.code, **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        found = exc.errors()
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in found
        ]
        # the first bad field, in plain words; `errors` keeps pydantic's own for programs
        detail = f"{where(found[0], skip=1) or 'body'}: {plain(found[0])}" if found else "invalid"
        return problem(422, "Invalid request", detail, "invalid_input", errors=errors)

    @app.exception_handler(DataError)
    async def _unstorable(_request: Request, _exc: DataError) -> JSONResponse:
        # The database refused a value (a NUL character in a path id or text on PostgreSQL,
        # a number out of range): bad input, never a 500.
        detail = "a value in the request cannot be stored (e.g. a NUL character)"
        return problem(422, "Invalid request", detail, "invalid_input")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's "error parsing the body" (e.g. bytes that are not UTF-8): bad input,
            # answered like every other invalid request.
            return problem(422, "Invalid request", f"body: {exc.detail}", "invalid_input")
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        return problem(exc.status_code, str(exc.detail), str(exc.detail), code)

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(generate())  # generate() caches the document it returns
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


# ---- the errors in /openapi.json ----------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "a stable machine-readable slug"},
        "field": {"type": "string", "description": "the request field at fault"},
        "retry_after": {"type": "integer", "description": "seconds, as in Retry-After"},
        "errors": {"type": "array", "items": {"type": "object"}},
        "hold_id": {"type": "string", "description": "risk_blocked: the hold staff see"},
    },
}


IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "run this POST at most once; a retry with the same key gets the same answer",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def document_problems(document: dict[str, Any]) -> None:
    """Declare, for every operation, the errors any of them can give — 401 where a token is
    read, 413 where a body may be, 422 and 503 everywhere under /v1, the Idempotency-Key
    header on POST — and that every error body is problem+json (FastAPI would document its
    own 422 shape, which we do not send)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault("401", {"description": "Not signed in, or a bad token"})
            if method in ("post", "put", "patch"):
                responses.setdefault("413", {"description": "The request body is too large"})
            if method in ("post", "put", "patch", "delete"):  # api/rate_limits.py
                responses.setdefault("429", {"description": "Too many writes: see Retry-After"})
            if method == "post":  # api/idempotency.py
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
                responses.setdefault("409", {"description": "Idempotency-Key: still running"})
            if path.startswith("/v1/"):
                responses.setdefault("422", {"description": "Invalid request"})
                responses.setdefault("503", {"description": "Busy: retry after Retry-After"})
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = content
