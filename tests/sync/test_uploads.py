"""Delivered files' content across a weak network (issue #10, item 7): a delivery queued
offline uploads its files once the delivery is taken; an upload cut mid-way (a reset
connection, then no network at all) keeps what the server confirmed and the next sync goes on
from the offset the server holds — no byte sent twice from the start, the whole checked by
SHA-256 on the server."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from jiedan_cli.domain.errors import Offline
from jiedan_cli.store import actions, uploads
from jiedan_cli.store.deliverables import delivered_file
from jiedan_cli.sync.push import push_outbox
from jiedan_cli.sync.retry import Deadline, RetryPolicy
from jiedan_cli.sync.uploads import upload_pending
from tests.sync.conftest import LiveServer, Replica
from tests.sync.faultproxy import FaultProxy

IMPATIENT = RetryPolicy(first=0.02, cap=0.1, give_up_after=1.0)


def api(server: LiveServer, user: dict[str, Any], method: str, path: str, **body: Any) -> Any:
    response = httpx.request(
        method,
        f"{server.url}{path}",
        json=body or None,
        headers={"Authorization": f"Bearer {user['token']}"},
        timeout=30,
    )
    assert response.status_code < 300, response.text
    return response.json()


def funded_order(server: LiveServer, freelancer: dict[str, Any]) -> tuple[dict[str, Any], str]:
    client = server.register("client")
    order = api(
        server,
        client,
        "POST",
        "/v1/orders",
        title="海报设计",
        description="一张活动海报",
        category="design",
        budget_min_fen=50_000,
        budget_max_fen=120_000,
    )
    bid = api(
        server, freelancer, "POST", f"/v1/orders/{order['id']}/bids", amount_fen=80_000, days=3
    )
    api(server, client, "POST", f"/v1/orders/{order['id']}/award", bid_id=bid["id"])
    api(server, client, "POST", f"/v1/orders/{order['id']}/fund")
    return client, order["id"]


def server_holds(server: LiveServer, user: dict[str, Any], delivery_id: str) -> int:
    response = httpx.head(
        f"{server.url}/v1/deliveries/{delivery_id}/files/0/upload",
        headers={"Authorization": f"Bearer {user['token']}"},
    )
    return int(response.headers["Upload-Offset"])


def fetched(server: LiveServer, user: dict[str, Any], delivery_id: str) -> bytes:
    response = httpx.get(
        f"{server.url}/v1/deliveries/{delivery_id}/files/0",
        headers={"Authorization": f"Bearer {user['token']}"},
    )
    assert response.status_code == 200, response.text
    return response.content


def test_an_offline_delivery_uploads_its_file_when_the_network_is_back(
    live_server: LiveServer, make_replica: Callable[..., Replica], tmp_path: Path
) -> None:
    freelancer = live_server.register("freelancer")
    client, order_id = funded_order(live_server, freelancer)
    replica = make_replica(freelancer)
    replica.sync()
    content = os.urandom(50_000)
    artwork = tmp_path / "海报.png"
    artwork.write_bytes(content)
    delivery = actions.deliver(
        replica.conn, order_id=order_id, note="海报终稿", files=[delivered_file(artwork)]
    )
    assert delivery["files"][0]["uploaded"] is False
    assert delivery["files"][0]["upload"] == {"state": "pending", "offset": 0, "error": None}
    report = replica.sync()
    assert report.uploaded == 1 and report.complete
    assert fetched(live_server, client, delivery["id"]) == content
    assert uploads.pending_uploads(replica.conn) == []


def test_an_upload_cut_mid_way_resumes_from_the_offset_the_server_holds(
    live_server: LiveServer,
    proxy: FaultProxy,
    make_replica: Callable[..., Replica],
    tmp_path: Path,
) -> None:
    freelancer = live_server.register("freelancer")
    client, order_id = funded_order(live_server, freelancer)
    replica = make_replica(freelancer)
    replica.sync()
    content = os.urandom(256 * 1024)
    artwork = tmp_path / "视频.mp4"
    artwork.write_bytes(content)
    delivery = actions.deliver(
        replica.conn, order_id=order_id, note="视频", files=[delivered_file(artwork)]
    )
    push_outbox(replica.conn, replica.client, deadline=Deadline(30), policy=IMPATIENT)

    # Through the proxy: the connection is reset after a few answers, then the network is
    # gone (every connection refused) — the upload stops with Offline.
    replica.use(proxy.url)
    proxy.always("refuse")
    proxy.next("reset", after_bytes=900)
    with pytest.raises(Offline):
        upload_pending(
            replica.conn,
            replica.client,
            deadline=Deadline(30),
            policy=IMPATIENT,
            chunk_bytes=64 * 1024,
        )
    held = server_holds(live_server, freelancer, delivery["id"])
    remembered = uploads.pending_uploads(replica.conn)[0].offset
    assert 0 < held < len(content)
    assert 0 < remembered <= held  # an answer lost in the cut: the server may hold more

    # The network is back: the next sync asks where the server is and sends the rest.
    proxy.always("pass")
    replica.requests.clear()
    report = replica.sync(policy=IMPATIENT)
    assert report.uploaded == 1 and report.complete
    patches = [r for r in replica.requests if r.startswith("PATCH")]
    assert len(patches) == 1  # the rest, from `held`: one chunk, no 409 and no restart
    assert fetched(live_server, client, delivery["id"]) == content
    assert hashlib.sha256(content).hexdigest() == delivery["files"][0]["sha256"]


def test_a_file_changed_since_it_was_delivered_is_not_sent(
    live_server: LiveServer, make_replica: Callable[..., Replica], tmp_path: Path
) -> None:
    freelancer = live_server.register("freelancer")
    _client, order_id = funded_order(live_server, freelancer)
    replica = make_replica(freelancer)
    replica.sync()
    artwork = tmp_path / "a.txt"
    artwork.write_bytes(b"first version")
    delivery = actions.deliver(
        replica.conn, order_id=order_id, note="初稿", files=[delivered_file(artwork)]
    )
    artwork.write_bytes(b"edited afterwards")
    report = replica.sync()
    assert report.uploaded == 0
    [upload] = uploads.uploads_of(replica.conn, delivery["id"]).values()
    assert upload.state == "failed" and "changed since it was delivered" in str(upload.error)
