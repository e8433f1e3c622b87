"""`jiedan sync` and `jiedan sync status`: the report document, exit 6 when the server is
unreachable (nothing lost), exit 5 when not signed in."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import User, closed_port_url, jiedan
from tests.sync.conftest import LiveServer


def test_sync_json_report_and_status(freelancer: User, client: User) -> None:
    client.post_order()
    report = freelancer.ok("sync", "--json").json()
    assert set(report) == {"pushed", "rejected", "pulled", "pending"}
    assert report["pulled"] >= 1 and report["pending"] == 0
    status = freelancer.ok("sync", "status", "--json").json()
    assert set(status) >= {"pending", "rejected", "last_sync_at", "cursor"}
    assert status["pending"] == 0 and status["rejected"] == [] and status["cursor"]


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
    assert freelancer.ok("sync", "status", "--json").json()["pending"] == 1
    assert freelancer.ok("sync", "--json").json()["pushed"] == 1


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
        assert f"  {group} " in done.stdout


def test_an_unexpected_failure_exits_1(tmp_path: Path) -> None:
    """Exit 1 is for bugs and the unforeseen, e.g. a replica file that is not a database."""
    replica = tmp_path / "data" / "jiedan.db"
    replica.parent.mkdir(parents=True)
    replica.write_bytes(b"this is not an SQLite database, but much longer than a header" * 20)
    done = jiedan("orders", "list", "--json", home=tmp_path, server=closed_port_url())
    assert done.code == 1, str(done)
    assert done.stdout == ""
