"""`jiedan deliveries list|download|upload` against the real server (issue #10, item 7): the
freelancer's files reach the client — uploaded after the delivery (at once, or when the
network is back), listed with their state, downloaded as 0600 files whose SHA-256 is checked,
under a name made safe (no path from the other side is ever followed)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import User, funded_order


@pytest.fixture
def funded(client: User, freelancer: User) -> dict[str, Any]:
    """An order awarded to `freelancer` and funded, synced into their replica."""
    return funded_order(client, freelancer)


@pytest.mark.subprocess(reason="smoke: the real process")
def test_the_client_downloads_what_the_freelancer_delivered(
    client: User, freelancer: User, funded: dict[str, Any], tmp_path: Path
) -> None:
    content = os.urandom(5 * 1024 * 1024 + 17)  # more than one upload chunk
    artwork = tmp_path / "设计稿-终版.psd"
    artwork.write_bytes(content)
    done = freelancer.ok(
        "deliver", funded["id"], "--note", "终稿", "--file", str(artwork), "--json"
    ).json()
    assert done["files"][0]["uploaded"] is True
    client.ok("sync")
    [listed] = client.ok("deliveries", "list", funded["id"], "--json").json()
    assert listed["id"] == done["id"]
    assert listed["files"][0]["uploaded"] is True
    tsv = client.ok("deliveries", "list", funded["id"]).stdout
    assert "设计稿-终版.psd" in tsv and "on the server" in tsv
    folder = tmp_path / "收到的文件"
    folder.mkdir()
    [saved] = client.ok("deliveries", "download", funded["id"], "-o", str(folder), "--json").json()
    path = Path(saved["path"])
    assert path == folder / "设计稿-终版.psd"
    assert path.read_bytes() == content
    assert saved["sha256"] == hashlib.sha256(content).hexdigest()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["设计稿-终版.psd"]  # no temporary left


def test_an_offline_delivery_uploads_its_files_at_the_next_sync(
    client: User, freelancer: User, funded: dict[str, Any], tmp_path: Path
) -> None:
    notes = tmp_path / "说明.txt"
    notes.write_text("切图说明")
    done = freelancer.unreachable(
        "deliver", funded["id"], "--note", "火车上交付", "--file", str(notes), "--json"
    )
    assert done.code == 0, str(done)
    assert done.json()["files"][0]["upload"]["state"] == "pending"
    [mine] = freelancer.ok("deliveries", "list", funded["id"], "--json").json()
    assert mine["files"][0]["uploaded"] is False
    freelancer.ok("sync")
    [mine] = freelancer.ok("deliveries", "list", funded["id"], "--json").json()
    assert mine["files"][0]["uploaded"] is True
    client.ok("sync")
    [saved] = client.ok(
        "deliveries",
        "download",
        funded["id"],
        "--file",
        "说明.txt",
        "-o",
        str(tmp_path),
        "--json",
    ).json()
    assert Path(saved["path"]).read_text() == "切图说明"


def test_download_refuses_a_link_and_a_missing_name(
    client: User, freelancer: User, funded: dict[str, Any], tmp_path: Path
) -> None:
    work = tmp_path / "work.txt"
    work.write_text("成果")
    freelancer.ok("deliver", funded["id"], "--note", "交付", "--file", str(work))
    client.ok("sync")
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / "work.txt").symlink_to(victim)
    refused = client.run("deliveries", "download", funded["id"], "-o", str(out))
    assert refused.code == 2, str(refused)
    assert "symbolic link" in refused.stderr
    assert victim.read_text() == "keep me"
    missing = client.run("deliveries", "download", funded["id"], "--file", "nope.zip")
    assert missing.code == 3, str(missing)


def test_a_stranger_cannot_download(
    make_user: Any, freelancer: User, funded: dict[str, Any], tmp_path: Path
) -> None:
    work = tmp_path / "work.txt"
    work.write_text("成果")
    done = freelancer.ok("deliver", funded["id"], "--note", "交付", "--file", str(work), "--json")
    stranger = make_user("client")
    import httpx

    answer = httpx.get(
        f"{stranger.server.url}/v1/deliveries/{done.json()['id']}/files/0",
        headers={"Authorization": f"Bearer {stranger.token}"},
    )
    assert answer.status_code == 404


def test_download_makes_a_missing_folder_and_refuses_a_file_there(
    client: User, freelancer: User, funded: dict[str, Any], tmp_path: Path
) -> None:
    # `-o ./received` refused with "is not a folder" until the user made it; the dashboard's
    # `g` makes its folder, and so does gh's `release download -D`
    work = tmp_path / "work.txt"
    work.write_text("成果")
    freelancer.ok("deliver", funded["id"], "--note", "交付", "--file", str(work))
    client.ok("sync")
    folder = tmp_path / "收到" / "订单"
    [saved] = client.ok("deliveries", "download", funded["id"], "-o", str(folder), "--json").json()
    assert Path(saved["path"]).read_text() == "成果"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    refused = client.run("deliveries", "download", funded["id"], "-o", str(a_file))
    assert refused.code == 2 and refused.stderr == f"error: -o: {a_file} is not a folder\n"
