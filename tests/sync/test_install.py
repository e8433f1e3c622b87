"""The install id (#12): made once in the data dir (0600), the same on every request of this
install — sign-in, registration and sync, against the real server, which links it to the
account — and a new one in a new JIEDAN_HOME."""

from __future__ import annotations

import stat
import threading
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from jiedan_cli import locations
from jiedan_cli.server.db.tables import account_devices
from jiedan_cli.sync import session
from jiedan_cli.sync.http import connect
from jiedan_cli.sync.install import HEADER, install_id
from tests.sync.conftest import PASSWORD, LiveServer, Replica


def test_the_id_is_made_once_0600_and_a_new_home_makes_another(
    jiedan_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = install_id()
    assert made is not None and len(made) == 32 and made == uuid.UUID(made).hex
    path = locations.install_file()
    assert path.parent.parent == jiedan_home
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == made
    assert install_id() == install_id() == made

    monkeypatch.setenv("JIEDAN_HOME", str(tmp_path / "another-home"))
    other = install_id()
    assert other is not None and other != made
    assert stat.S_IMODE(locations.install_file().stat().st_mode) == 0o600


def test_a_damaged_file_is_replaced_and_processes_making_one_at_once_agree() -> None:
    path = locations.install_file()
    locations.private_dir(path.parent)
    path.write_text("not an id!\n")
    replaced = install_id()
    assert replaced is not None and path.read_text().strip() == replaced

    path.unlink()
    seen: list[str | None] = []
    threads = [threading.Thread(target=lambda: seen.append(install_id())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and seen[0] == path.read_text().strip()
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_every_request_carries_the_same_id(live_server: LiveServer) -> None:
    sent: list[str | None] = []

    def record(request: httpx.Request) -> None:
        sent.append(request.headers.get(HEADER))

    for _ in range(2):
        with connect(live_server.url, event_hooks={"request": [record]}) as client:
            assert client.get("/healthz").status_code == 200
            client.get("/v1/me")
    assert len(sent) == 4 and set(sent) == {install_id()}


def test_sign_in_register_and_sync_link_the_install_to_the_account(
    live_server: LiveServer, tmp_path: Path
) -> None:
    mine = install_id()
    email = f"installed-{uuid.uuid4().hex[:8]}@example.com"
    registered = session.register(
        live_server.url, email=email, name="装机", password=PASSWORD, role="both"
    )
    signed_in = session.log_in(live_server.url, email, PASSWORD)
    user = {**signed_in["user"], "token": signed_in["token"]}
    assert registered["user"]["id"] == user["id"]
    replica = Replica(tmp_path / "replica.db", user, live_server.url)
    try:
        replica.post_order()
        report = replica.sync()
        assert report.pushed == 1, report
    finally:
        replica.close()

    rows = live_server.rows(select(account_devices).where(account_devices.c.user_id == user["id"]))
    assert [(r.device_id, r.address) for r in rows] == [(mine, "127.0.0.1")]
    assert rows[0].last_seen_at >= rows[0].first_seen_at
