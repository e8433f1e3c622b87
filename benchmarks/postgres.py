"""A throw-away PostgreSQL database for the benchmarks: created on the local server (trust
auth, as tests/conftest.py assumes), dropped afterwards with every connection to it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

# The maintenance database of the local server; JIEDAN_BENCH_PG_ADMIN names another.
ADMIN_URL = os.environ.get("JIEDAN_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A new, empty database's SQLAlchemy URL (`postgresql+psycopg://…/bench_<hex>`)."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        server = ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
