"""RFC 9457 problem+json for every error, and the one mapping from our error types to HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jiedan_cli.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    JiedanError,
    NotFound,
    Refused,
    TemporaryFailure,
    TooManyAttempts,
    Unauthenticated,
)

PROBLEM = "application/problem+json"

STATUS_FOR: tuple[tuple[type[JiedanError], int], ...] = (
    (InvalidInput, 422),
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (TooManyAttempts, 429),
    (Refused, 409),
    (Unauthenticated, 401),
    (TemporaryFailure, 503),
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


def install(app: FastAPI) -> None:
    @app.exception_handler(JiedanError)
    async def _jiedan(_request: Request, exc: JiedanError) -> JSONResponse:
        status = status_for(exc)
        extra: dict[str, Any] = {}
        if exc.field:
            extra["field"] = exc.field
        if isinstance(exc, TooManyAttempts):
            extra["retry_after"] = exc.retry_after
        if isinstance(exc, TemporaryFailure):
            extra["retry_after"] = 1
        return problem(status, type(exc).__name__, exc.message, exc.code, **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'][1:]) or 'body'}: {first['msg']}"
        return problem(422, "Invalid request", detail, "invalid_input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        return problem(exc.status_code, str(exc.detail), str(exc.detail), code)
