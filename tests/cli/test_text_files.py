"""Long text from a file (issue #10, item 10): `--description-file` (client post),
`--note-file` (deliver, client revise), `--message-file` (bid create/update, messages send):
PATH or `-` for stdin, UTF-8; never together with the inline option (exit 2), and a missing
or unreadable file is one clear line, exit 2, with nothing queued."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiedan_cli.store.db import open_db
from jiedan_cli.store.queries import order_history
from tests.cli.conftest import User

LONG = "需求说明\n\n1. 响应式官网，五个页面\n2. 含设计稿与前端\n\t— 预算可谈 ✓"
POST = ("client", "post", "--title", "官网改版", "--category", "development")
BUDGET = ("--budget-min", "2000", "--budget-max", "4000")


@pytest.mark.subprocess(reason="smoke: the real process")
def test_client_post_takes_its_description_from_a_file_or_stdin(
    client: User, tmp_path: Path
) -> None:
    spec = tmp_path / "需求.md"
    spec.write_text(LONG + "\n", encoding="utf-8")
    posted = client.ok(*POST, *BUDGET, "--description-file", str(spec), "--json").json()
    assert posted["description"] == LONG  # the file's last line break is not part of it
    assert client.api("GET", f"/v1/orders/{posted['id']}")["description"] == LONG

    piped = client.ok(*POST, *BUDGET, "--description-file", "-", "--json", input=LONG).json()
    assert piped["description"] == LONG


def test_inline_and_file_together_or_neither_is_a_usage_error(client: User, tmp_path: Path) -> None:
    spec = tmp_path / "spec.txt"
    spec.write_text("details", encoding="utf-8")
    both = client.run(*POST, *BUDGET, "--description", "x", "--description-file", str(spec))
    assert both.code == 2, str(both)
    assert both.stderr.strip() == "error: give --description or --description-file, not both"
    neither = client.run(*POST, *BUDGET)
    assert neither.code == 2, str(neither)
    assert "give --description TEXT, or --description-file PATH (- for stdin)" in neither.stderr
    assert client.ok("orders", "list", "--mine", "--json").json() == []


def test_a_missing_or_non_utf8_file_is_one_line_exit_2(client: User, tmp_path: Path) -> None:
    missing = client.run(*POST, *BUDGET, "--description-file", str(tmp_path / "nope.md"))
    assert missing.code == 2, str(missing)
    assert missing.stderr.strip() == (
        f"error: --description-file: no such file: {tmp_path / 'nope.md'}"
    )
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("café".encode("latin-1"))
    bad = client.run(*POST, *BUDGET, "--description-file", str(latin))
    assert bad.code == 2 and "is not UTF-8 text" in bad.stderr, str(bad)
    assert len(bad.stderr.strip().splitlines()) == 1
    folder = client.run(*POST, *BUDGET, "--description-file", str(tmp_path))
    assert folder.code == 2 and "is a folder, not a file" in folder.stderr, str(folder)
    assert client.ok("sync", "status", "--json").json()["pending"] == 0


def test_bid_messages_deliver_and_revise_take_files(
    client: User, freelancer: User, tmp_path: Path
) -> None:
    order = client.post_order()
    freelancer.ok("sync")
    letter = tmp_path / "letter.txt"
    letter.write_text("您好：\n我做过十个类似的官网。", encoding="utf-8")
    placed = freelancer.ok(
        *("bid", "create", order["id"], "--amount", "3000", "--days", "7"),
        *("--message-file", str(letter), "--json"),
    ).json()
    assert placed["message"] == "您好：\n我做过十个类似的官网。"
    updated = freelancer.ok(
        "bid", "update", placed["id"], "--message-file", "-", "--json", input="改为六天交付"
    ).json()
    assert updated["message"] == "改为六天交付"
    both = freelancer.run("bid", "update", placed["id"], "--message", "a", "--message-file", "-")
    assert both.code == 2 and "not both" in both.stderr, str(both)

    sent = freelancer.ok(
        "messages", "send", order["id"], "--message-file", str(letter), "--json"
    ).json()
    assert sent["text"] == "您好：\n我做过十个类似的官网。"
    no_text = freelancer.run("messages", "send", order["id"])
    assert no_text.code == 2 and "--message-file PATH" in no_text.stderr, str(no_text)

    client.ok("sync")
    client.ok("client", "award", order["id"], placed["id"])
    client.ok("client", "fund", order["id"])
    freelancer.ok("sync")
    notes = tmp_path / "交付说明.txt"
    notes.write_text("源码与设计稿见附件\n部署说明在 README", encoding="utf-8")
    delivered = freelancer.ok("deliver", order["id"], "--note-file", str(notes), "--json").json()
    assert delivered["note"] == "源码与设计稿见附件\n部署说明在 README"
    missing = freelancer.run("deliver", order["id"], "--note-file", str(tmp_path / "none"))
    assert missing.code == 2 and "--note-file: no such file" in missing.stderr, str(missing)

    client.ok("sync")
    revised = client.run("client", "revise", order["id"], "--note-file", "-", input="首页再改改\n")
    assert revised.code == 0, str(revised)
    assert client.api("GET", f"/v1/orders/{order['id']}")["status"] == "in_progress"
    freelancer.ok("sync")
    conn = open_db(freelancer.home / "data" / "jiedan.db")
    try:
        notes_seen = [event.get("note") for event in order_history(conn, order["id"])]
    finally:
        conn.close()
    assert "首页再改改" in notes_seen
