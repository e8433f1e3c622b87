"""Delivered files' content (issue #10, item 7): a tus-like chunked upload by the delivering
freelancer, checked by SHA-256, resumable from the offset the server holds; the download by
the order's parties (and the staff settling a dispute on it); the size cap. SQLite and
PostgreSQL: the upload's offset and the `uploaded` mark are state every process must see."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from jiedan_cli.domain.delivery_files import UPLOAD_CHUNK_MAX
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import act, funded, ok, staff

CONTENT = os.urandom(300_000)


def deliver_file(
    server: Server, content: bytes = CONTENT, name: str = "终稿.psd", sha: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    client, freelancer, order = funded(server)
    digest = sha or hashlib.sha256(content).hexdigest()
    item = {"name": name, "size": len(content), "sha256": digest}
    delivery = ok(
        act(server, freelancer, order["id"], "deliveries", note="终稿", files=[item]), 201
    )
    return client, freelancer, order, delivery


def upload_path(delivery: dict[str, Any], index: int = 0) -> str:
    return f"/v1/deliveries/{delivery['id']}/files/{index}/upload"


def offset_of(server: Server, user: dict[str, Any], delivery: dict[str, Any]) -> int:
    answer = server.request("HEAD", upload_path(delivery), user["token"])
    assert answer.status_code == 200, answer.text
    return int(answer.headers["Upload-Offset"])


def send(
    server: Server, user: dict[str, Any], delivery: dict[str, Any], offset: int, data: bytes
) -> Any:
    return server.request(
        "PATCH",
        upload_path(delivery),
        user["token"],
        content=data,
        headers={"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
    )


def test_chunks_resume_from_the_offset_held_and_the_parties_fetch_the_file(server: Server) -> None:
    client, freelancer, order, delivery = deliver_file(server)
    assert delivery["files"][0]["uploaded"] is False
    assert offset_of(server, freelancer, delivery) == 0
    first = send(server, freelancer, delivery, 0, CONTENT[:100_000])
    assert first.status_code == 200, first.text
    assert first.json() == {"offset": 100_000, "size": len(CONTENT), "complete": False}
    # A client that lost the answer and resends from 0 is told where the server is.
    stale = send(server, freelancer, delivery, 0, CONTENT[:100_000])
    assert stale.status_code == 409 and stale.json()["code"] == "upload_offset"
    assert offset_of(server, freelancer, delivery) == 100_000
    # Not yet there: the client is told so.
    early = server.request("GET", f"/v1/deliveries/{delivery['id']}/files/0", client["token"])
    assert early.status_code == 409 and early.json()["code"] == "not_uploaded"
    last = send(server, freelancer, delivery, 100_000, CONTENT[100_000:])
    assert last.json() == {"offset": len(CONTENT), "size": len(CONTENT), "complete": True}
    for user in (client, freelancer):
        got = server.request("GET", f"/v1/deliveries/{delivery['id']}/files/0", user["token"])
        assert got.status_code == 200
        assert got.content == CONTENT
        assert hashlib.sha256(got.content).hexdigest() in got.headers["etag"]
        assert "attachment" in got.headers["content-disposition"]
    # The delivery now says the content is there, in the list and in the change log.
    listed = server.request("GET", f"/v1/orders/{order['id']}/deliveries", client["token"])
    assert listed.json()[0]["files"][0]["uploaded"] is True
    pulled = server.request("GET", "/v1/sync/pull", client["token"], params={"limit": 500})
    puts = [c for c in pulled.json()["changes"] if c["entity"] == "delivery"]
    assert puts[-1]["data"]["files"][0]["uploaded"] is True
    # A client that lost the last answer and sends the last chunk again is told it is done.
    again = send(server, freelancer, delivery, 100_000, CONTENT[100_000:])
    assert again.json()["complete"] is True


def test_a_whole_that_is_not_the_delivered_sha256_is_refused_and_dropped(server: Server) -> None:
    _client, freelancer, _order, delivery = deliver_file(server)
    wrong = bytes(len(CONTENT))
    answer = send(server, freelancer, delivery, 0, wrong)
    assert answer.status_code == 422
    assert answer.json()["code"] == "hash_mismatch"
    assert offset_of(server, freelancer, delivery) == 0  # start again
    assert send(server, freelancer, delivery, 0, CONTENT).json()["complete"] is True


def test_bytes_past_the_delivered_size_are_refused(server: Server) -> None:
    _client, freelancer, _order, delivery = deliver_file(server, content=b"abc")
    answer = send(server, freelancer, delivery, 0, b"abcd")
    assert answer.status_code == 422 and answer.json()["code"] == "upload_past_end"
    assert offset_of(server, freelancer, delivery) == 0


def test_only_the_parties_and_dispute_staff_fetch_a_file(server: Server) -> None:
    client, freelancer, order, delivery = deliver_file(server)
    send(server, freelancer, delivery, 0, CONTENT)
    path = f"/v1/deliveries/{delivery['id']}/files/0"
    stranger = server.register()
    support, finance = staff(server, "support"), staff(server, "finance")
    for user in (stranger, support, finance):
        assert server.request("GET", path, user["token"]).status_code == 404
    # The client cannot upload into the freelancer's delivery either.
    assert server.request("HEAD", upload_path(delivery), client["token"]).status_code == 404
    assert send(server, client, delivery, 0, CONTENT).status_code == 404
    # Out of range and malformed ids are 404 too.
    assert server.request("GET", path[:-1] + "1", client["token"]).status_code == 404
    assert server.request("GET", "/v1/deliveries/x/files/0", client["token"]).status_code == 404
    ok(act(server, client, order["id"], "dispute", reason="交付质量有争议"))
    assert server.request("GET", path, support["token"]).content == CONTENT
    assert server.request("GET", path, finance["token"]).status_code == 404
    assert server.request("GET", path, stranger["token"]).status_code == 404


def test_the_size_cap_refuses_a_delivery_over_it_with_413(sqlite_url: str) -> None:
    server = make_server(sqlite_url, max_delivery_file_bytes=1000)
    with server.client:
        _client, freelancer, order = funded(server)
        big = {"name": "big.bin", "size": 1001, "sha256": "ab" * 32}
        answer = act(server, freelancer, order["id"], "deliveries", note="大文件", files=[big])
        assert answer.status_code == 413, answer.text
        assert answer.json()["code"] == "too_large"
        small = {"name": "small.bin", "size": 1000, "sha256": "ab" * 32}
        ok(act(server, freelancer, order["id"], "deliveries", note="小文件", files=[small]), 201)


def test_a_chunk_may_exceed_the_json_body_cap_on_the_upload_route_only(sqlite_url: str) -> None:
    server = make_server(sqlite_url, max_body_bytes=10_000)
    with server.client:
        content = os.urandom(200_000)
        _client, freelancer, order, delivery = deliver_file(server, content=content)
        assert send(server, freelancer, delivery, 0, content).json()["complete"] is True
        # the same size elsewhere is still refused
        huge = {"note": "x" * 20_000}
        answer = act(server, freelancer, order["id"], "deliveries", **huge)
        assert answer.status_code == 413
        over = server.request(
            "PATCH",
            upload_path(delivery),
            freelancer["token"],
            content=b"\0" * (UPLOAD_CHUNK_MAX + 1),
            headers={"Upload-Offset": "0"},
        )
        assert over.status_code == 413


@pytest.mark.parametrize("hostile", ["../../etc/passwd", "/abs/path", "a\\..\\b"])
def test_a_hostile_file_name_never_names_a_server_path(server: Server, hostile: str) -> None:
    _client, freelancer, _order, delivery = deliver_file(server, content=b"x", name=hostile)
    assert send(server, freelancer, delivery, 0, b"x").json()["complete"] is True
    stored = server.settings.files_dir() / delivery["id"] / "0"
    assert stored.read_bytes() == b"x"
