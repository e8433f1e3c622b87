"""A stand-in for one installed client in the sync tests: a client_id, a seq counter, an
outbox of operations, and a pull cursor — speaking the wire protocol of docs/sync-protocol.md."""

from __future__ import annotations

import gzip
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.server.conftest import Server


def order_args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "title": "做一个小程序商城",
        "description": "微信小程序，含支付和后台。",
        "category": "development",
        "tags": ["小程序"],
        "budget_min_fen": 300_000,
        "budget_max_fen": 800_000,
    }
    args.update(overrides)
    return args


@dataclass
class Device:
    server: Server
    user: dict[str, Any]
    client_id: str = field(default_factory=lambda: f"dev-{uuid.uuid4().hex[:12]}")
    seq: int = 0
    cursor: str = ""

    def op(self, intent: str, **args: Any) -> dict[str, Any]:
        """The next operation of this device's outbox."""
        self.seq += 1
        return {"seq": self.seq, "op_id": str(uuid.uuid4()), "intent": intent, "args": args}

    def push(self, *ops: dict[str, Any], gzipped: bool = False, **kwargs: Any) -> Any:
        body = {"client_id": self.client_id, "ops": list(ops)}
        if not gzipped:
            return self.server.request(
                "POST", "/v1/sync/push", self.user["token"], json=body, **kwargs
            )
        raw = gzip.compress(json.dumps(body).encode(), mtime=0)
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        return self.server.request(
            "POST", "/v1/sync/push", self.user["token"], content=raw, headers=headers
        )

    def push_ok(self, *ops: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.push(*ops)
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    def apply(self, intent: str, **args: Any) -> dict[str, Any]:
        """Push one new operation that must apply; its result."""
        (result,) = self.push_ok(self.op(intent, **args))
        assert result["status"] == "applied", result
        return dict(result["result"])

    def pull(self, *, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"cursor": self.cursor if cursor is None else cursor}
        params["client_id"] = self.client_id
        if limit is not None:
            params["limit"] = limit
        response = self.server.request("GET", "/v1/sync/pull", self.user["token"], params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def pull_all(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Pull pages until has_more is false, following next_cursor; every change seen."""
        seen: list[dict[str, Any]] = []
        while True:
            page = self.pull(limit=limit)
            if page["reset"]:
                seen.clear()
            seen.extend(page["changes"])
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                return seen
