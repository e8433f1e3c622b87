"""GET /metrics: Prometheus' text format, for a scraper holding the metrics token."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request, Response

from jiedan_cli.domain.errors import NotFound, Unauthenticated
from jiedan_cli.server import metrics

router = APIRouter(tags=["operations"])

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus exposition format"},
        401: {**PROBLEM, "description": "No metrics token, or another one"},
        404: {**PROBLEM, "description": "Metrics are off: JIEDAN_SERVER_METRICS_TOKEN is unset"},
    },
)
def read_metrics(request: Request) -> Response:
    """Request counts and latencies by route, sync and job counts — of every worker process.
    Asks for `Authorization: Bearer <JIEDAN_SERVER_METRICS_TOKEN>` (docs/decisions.md)."""
    expected = request.app.state.settings.metrics_token
    if not expected:
        raise NotFound("metrics are off: set JIEDAN_SERVER_METRICS_TOKEN to read them")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise Unauthenticated("GET /metrics needs the metrics token as a bearer token")
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
