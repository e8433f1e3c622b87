"""Terminal injection (issue 9, item 11): what another user wrote — an order title, a
description, a message — reaches the command line's output as text. Control sequences that
would set the window title (OSC 0), clear the screen, make a link (OSC 8), move the cursor
(CR, C1 CSI) or reorder the line (U+202E) are shown as visible escapes, on a terminal (a
real pty) and in TSV; rich markup is shown literally; --json stays the exact data.

The hostile data goes into the replica through the real pull path (store.apply), as a pull
from an older or another server would deliver it: the client must not rely on its server
refusing such text."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import tty
from pathlib import Path

import pytest

from jiedan_cli.render import safe_text
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from tests.cli.conftest import ROOT, Run, closed_port_url, environment, jiedan
from tests.store.factories import bid, message, order, page, put

MARKUP = "[bold red]RED[/bold red] [link=https://evil.example]click[/link]"
HOSTILE = f"Logo\x1b]0;PWNED\x07\x1b[2J\rX\x9b31m\u202eY\x7f {MARKUP}"
# what must never reach a terminal from the data (ESC ] starts every OSC: titles and links)
RAW = ("\x1b]", "\x1b[2J", "\x07", "\r", "\x9b", "\u202e", "\x7f")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A replica signed in as "me" holding an order, a bid and a message written by someone
    hostile."""
    home = tmp_path / "home"
    conn = open_db(home / "data" / "jiedan.db")
    try:
        conn.execute("UPDATE sync_state SET user_id = 'me'")
        apply_page(
            conn,
            page(
                put("order", order("o1", HOSTILE, description=f"line one\n{HOSTILE}")),
                put("bid", bid("b1", "o1", "me", message=HOSTILE)),
                put("message", message("m1", "o1", HOSTILE)),
            ),
        )
    finally:
        conn.close()
    return home


def run(home: Path, *args: str) -> Run:
    return jiedan(*args, home=home, server=closed_port_url())


def on_a_terminal(home: Path, *args: str) -> Run:
    """`jiedan ARGS` with stdout and stderr on a pseudo-terminal in raw mode (so what the
    program writes is read back byte for byte), 300 columns wide."""
    leader, follower = pty.openpty()
    tty.setraw(follower)
    env = environment(home, closed_port_url(), {"COLUMNS": "300", "LINES": "50"})
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "jiedan_cli", *args],
        stdout=follower,
        stderr=follower,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the program closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    code = process.wait(timeout=60)
    return Run(tuple(args), code, b"".join(chunks).decode("utf-8", "replace"), "")


def assert_shown_as_text(done: Run) -> None:
    written = done.stdout + done.stderr
    assert [raw for raw in RAW if raw in written] == [], str(done)
    assert "\\x1b]0;PWNED\\x07\\x1b[2J\\rX\\x9b31m\\u202eY\\x7f" in written, str(done)


@pytest.mark.parametrize(
    "args",
    [("orders", "list"), ("orders", "search", "Logo"), ("orders", "show", "o1")],
    ids=["list", "search", "show"],
)
def test_orders_in_tsv_show_control_characters_as_escapes(home: Path, args: tuple[str]) -> None:
    done = run(home, *args)
    assert done.code == 0, str(done)
    assert "\x1b" not in done.stdout  # off a terminal nothing is styled either
    assert_shown_as_text(done)
    assert MARKUP in done.stdout


@pytest.mark.subprocess(reason="a real terminal (a pty)")
@pytest.mark.parametrize(
    "args",
    [("orders", "list"), ("orders", "show", "o1"), ("messages", "list", "o1")],
    ids=["list", "show", "messages"],
)
def test_on_a_terminal_the_table_shows_markup_literally_and_obeys_no_sequence(
    home: Path, args: tuple[str]
) -> None:
    done = on_a_terminal(home, *args)
    assert done.code == 0, str(done)
    assert_shown_as_text(done)
    assert MARKUP in done.stdout  # not bold red, and no link to evil.example


def test_messages_in_tsv(home: Path) -> None:
    done = run(home, "messages", "list", "o1")
    assert done.code == 0, str(done)
    assert_shown_as_text(done)


def test_watch_run_reports_a_hostile_title_as_text(home: Path) -> None:
    assert run(home, "watch", "add", "logos", "--query", "Logo").code == 0
    done = on_a_terminal(home, "watch", "run", "--once")
    assert done.code == 0, str(done)
    assert "o1" in done.stdout
    assert_shown_as_text(done)


def test_watch_run_json_lines_stay_exact(home: Path) -> None:
    assert run(home, "watch", "add", "logos", "--query", "Logo").code == 0
    done = run(home, "watch", "run", "--once", "--json")
    assert done.code == 0, str(done)
    (line,) = done.stdout.splitlines()
    assert json.loads(line)["order"]["title"] == HOSTILE
    assert [raw for raw in (*RAW, "\x1b") if raw in done.stdout] == []


@pytest.mark.parametrize("args", [("orders", "list", "--json"), ("orders", "show", "o1", "--json")])
def test_json_is_the_exact_data_with_every_control_character_escaped(
    home: Path, args: tuple[str]
) -> None:
    done = run(home, *args)
    assert done.code == 0, str(done)
    found = done.json()
    shown = found[0] if isinstance(found, list) else found
    assert shown["title"] == HOSTILE
    assert shown["description"] == f"line one\n{HOSTILE}"
    # json.dumps escapes C0 itself; DEL, C1 and bidi controls are escaped by us
    assert [raw for raw in (*RAW, "\x1b") if raw in done.stdout] == []
    assert "\\u001b]0;PWNED\\u0007" in done.stdout
    assert "\\u009b31m\\u202eY\\u007f" in done.stdout


def test_safe_text_escapes_every_control_and_keeps_lines_only_when_asked() -> None:
    controls = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))
    bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    shown = safe_text(controls + bidi + "文字 [b]")
    assert shown.isprintable()
    assert shown.endswith("\\u2069文字 [b]")
    assert safe_text("a\r\nb\tc\rd", multiline=True) == "a\nb\tc\\rd"
    assert safe_text("a\nb\tc") == "a\\nb\\tc"


@pytest.mark.subprocess(reason="smoke: the real process")
def test_an_error_line_quoting_what_was_typed_or_sent_is_shown_as_text(home: Path) -> None:
    done = run(home, "orders", "show", "o9\x1b]0;PWNED\x07")
    assert done.code == 3, str(done)
    assert done.stderr.startswith("error: no order o9\\x1b]0;PWNED\\x07 ")
