"""P5: `GET /v1/orders?limit=20` with a token, 32 connections, against a seeded database."""

from __future__ import annotations

import uuid

import httpx

from benchmarks.load import Plan, Request
from benchmarks.report import Target

KEY = "P5"
WHAT = "GET /v1/orders?limit=20"
TARGET = Target(min_ratio=0.5, max_p99_ms=50, max_errors=0, moonshot_ratio=0.8)
PATH = "/v1/orders?limit=20"
PASSWORD = "bench password 42"


def register(client: httpx.Client, role: str, label: str) -> dict[str, str]:
    """A fresh account through the public API: {'id', 'token'}."""
    response = client.post(
        "/v1/auth/register",
        json={
            "email": f"{label}-{uuid.uuid4().hex[:10]}@bench.jiedan.dev",
            "name": label,
            "password": PASSWORD,
            "role": role,
        },
    )
    response.raise_for_status()
    body = response.json()
    return {"id": body["user"]["id"], "token": body["token"]}


def prepare(base_url: str, connections: int) -> Plan:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        reader = register(client, "both", "bench-reader")
        check = client.get(PATH, headers={"Authorization": f"Bearer {reader['token']}"})
        check.raise_for_status()
        if len(check.json()["items"]) != 20:
            raise RuntimeError("P5 needs a seeded database: /v1/orders gave fewer than 20 orders")
    return [[Request("GET", PATH, reader["token"])] for _ in range(connections)]
