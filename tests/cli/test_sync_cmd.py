"""`jiedan sync`, `sync status` and `sync dismiss`: the report document, exit 6 when the server is
unreachable (nothing lost), exit 5 when not signed in."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jiedan_cli.sync.http import READ_TIMEOUT
from tests.cli.conftest import ROOT, User, closed_port_url, environment, jiedan
from tests.sync.conftest import LiveServer


@pytest.mark.subprocess(reason="smoke: the real process")
def test_sync_json_report_and_status(freelancer: User, client: User) -> None:
    client.post_order()
    report = freelancer.ok("sync", "--json").json()
    assert set(report) == {"pushed", "rejected", "pulled", "pending"}
    assert report["pulled"] >= 1 and report["pending"] == 0
    status = freelancer.ok("sync", "status", "--json").json()
    assert set(status) >= {"pending", "rejected", "last_sync_at", "cursor"}
    assert status["pending"] == 0 and status["rejected"] == [] and status["cursor"]


@pytest.mark.subprocess(reason="smoke: the real process")
def test_sync_without_a_terminal_prints_field_value_rows(freelancer: User) -> None:
    rows = freelancer.ok("sync").stdout.splitlines()
    assert [row.split("\t")[0] for row in rows] == ["pushed", "rejected", "pulled", "pending"]
    assert freelancer.ok("sync", "status").stdout.startswith("pending\t0\n")


def test_sync_exits_6_when_the_server_is_unreachable_and_loses_nothing(
    freelancer: User, client: User
) -> None:
    order = client.post_order()
    freelancer.ok("sync")
    freelancer.ok("bid", "create", order["id"], "--amount", "800", "--days", "3", "--offline")
    away = freelancer.unreachable("sync", "--json")
    assert away.code == 6, str(away)
    assert away.stdout == "" and away.stderr.startswith("error: cannot reach the server")
    assert "connection refused" in away.stderr and "retrying" not in away.stderr
    assert freelancer.ok("sync", "status", "--json").json()["pending"] == 1
    assert freelancer.ok("sync", "--json").json()["pushed"] == 1


@pytest.mark.subprocess(reason="smoke: the real process")
def test_sync_when_never_signed_in_exits_5(live_server: LiveServer, tmp_path: Path) -> None:
    done = jiedan("sync", home=tmp_path, server=live_server.url)
    assert done.code == 5, str(done)
    assert done.stderr.startswith("error: not signed in")


def test_bid_before_signing_in_exits_5(live_server: LiveServer, tmp_path: Path) -> None:
    done = jiedan(
        "bid",
        "create",
        "00000000-0000-7000-8000-000000000000",
        "--amount",
        "8",
        "--days",
        "1",
        home=tmp_path,
        server=live_server.url,
    )
    assert done.code == 5, str(done)


def test_help_lists_the_groups(tmp_path: Path) -> None:
    done = jiedan("--help", home=tmp_path, server=closed_port_url())
    assert done.code == 0
    for group in ("auth", "orders", "bid", "deliver", "messages", "sync", "demo"):
        assert f"│ {group} " in done.stdout


@pytest.mark.subprocess(reason="smoke: the real process")
def test_an_unexpected_failure_exits_1(tmp_path: Path) -> None:
    """Exit 1 is for bugs and the unforeseen, e.g. a replica file that is not a database."""
    replica = tmp_path / "data" / "jiedan.db"
    replica.parent.mkdir(parents=True)
    replica.write_bytes(b"this is not an SQLite database, but much longer than a header" * 20)
    done = jiedan("orders", "list", "--json", home=tmp_path, server=closed_port_url())
    assert done.code == 1, str(done)
    assert done.stdout == ""


@pytest.mark.subprocess(reason="Ctrl-C: a signal to a process")
def test_a_slow_server_is_said_to_be_retried_and_ctrl_c_says_how_to_resume(
    freelancer: User, tmp_path: Path
) -> None:
    """A server that takes the connection and never answers: the sync says it is trying;
    Ctrl-C then ends it with one line saying how to resume (exit 130), nothing lost."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections queue in the backlog; nobody ever answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env = environment(freelancer.home, url, {"JIEDAN_TOKEN": freelancer.token})
        process = subprocess.Popen(
            [sys.executable, "-m", "jiedan_cli", "sync"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
            # as a terminal starts it: a test run in the background (`make test &`, some CI
            # runners) ignores SIGINT, and Python keeps an ignored SIGINT ignored
            preexec_fn=_default_sigint,
        )
        assert process.stderr is not None
        said = process.stderr.readline()  # after SLOW_NOTICE_SECONDS, not after the timeout
        assert said.startswith(f"the server at {url} is slow to answer; still trying"), said
        process.send_signal(signal.SIGINT)
        # Well before the read would time out: the request waiting on the silent server must
        # not hold the process up (it did, in the pull's worker thread, for the whole 30 s).
        _, rest = process.communicate(timeout=READ_TIMEOUT / 2)
    assert process.returncode == 130, rest
    assert rest.strip().splitlines()[-1] == "interrupted; run `jiedan sync` to resume"
    assert freelancer.ok("sync", "--json").json()["pending"] == 0


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# ---- sync dismiss ----------------------------------------------------------------------------


def _refused_bid(freelancer: User, client: User, order: dict[str, Any]) -> str:
    """A bid the server refuses (its order cancelled before the replica saw it): its op_id."""
    client.api("POST", f"/v1/orders/{order['id']}/cancel")
    done = freelancer.run("bid", "create", order["id"], "--amount", "800", "--days", "3")
    assert done.code == 4, str(done)
    (refused,) = freelancer.ok("sync", "status", "--json").json()["rejected"]
    return str(refused["op_id"])


def test_a_refusal_once_read_is_dismissed_and_its_bid_stays_rejected(
    freelancer: User, client: User, order: dict[str, Any]
) -> None:
    op_id = _refused_bid(freelancer, client, order)
    done = freelancer.ok("sync", "dismiss", op_id[:8], "--json").json()
    assert done == {"dismissed": [op_id], "rejected": 0}
    status = freelancer.ok("sync", "status", "--json").json()
    assert status["rejected"] == [] and status["pending"] == 0
    (bid,) = freelancer.ok("bid", "list", "--json").json()
    assert bid["sync_state"] == "rejected" and bid["reject_reason"]
    # dismissed already: named again, it is no refusal shown
    again = freelancer.run("sync", "dismiss", op_id)
    assert again.code == 3 and again.stderr.startswith(f"error: no refused operation {op_id}")


def test_dismiss_all_and_its_usage_errors(
    freelancer: User, client: User, order: dict[str, Any]
) -> None:
    _refused_bid(freelancer, client, order)
    neither = freelancer.run("sync", "dismiss")
    assert neither.code == 2 and "or give --all" in neither.stderr, str(neither)
    both = freelancer.run("sync", "dismiss", "abcdef12", "--all")
    assert both.code == 2 and "not both" in both.stderr, str(both)
    rows = freelancer.ok("sync", "dismiss", "--all").stdout.splitlines()
    assert rows == ["dismissed\t1", "rejected\t0"]
    assert freelancer.ok("sync", "dismiss", "--all", "--json").json() == {
        "dismissed": [],
        "rejected": 0,
    }
