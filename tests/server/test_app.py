"""The app's frame: health, OpenAPI, problem+json, body limit, migrations."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from jiedan_cli.server.db.tables import metadata, server_meta
from tests.server.conftest import Server


def test_healthz(server: Server) -> None:
    response = server.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_and_docs_are_served(sqlite_server: Server) -> None:
    assert sqlite_server.client.get("/openapi.json").json()["info"]["title"] == "jiedan platform"
    assert sqlite_server.client.get("/docs").status_code == 200


def test_unknown_route_is_problem_json(sqlite_server: Server) -> None:
    response = sqlite_server.client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_oversized_body_is_413(sqlite_server: Server) -> None:
    body = b"x" * (sqlite_server.settings.max_body_bytes + 1)
    response = sqlite_server.client.post(
        "/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_migrations_match_the_tables(server: Server) -> None:
    """`make migration` was run after the last change to tables.py."""
    with server.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_the_database_has_an_epoch(server: Server) -> None:
    with server.db.read() as conn:
        epoch = conn.scalar(select(server_meta.c.value).where(server_meta.c.key == "epoch"))
    assert epoch and len(epoch) == 12
