"""`jiedan demo --no-tui`: the whole flow against a throw-away server, exit 0, nothing left
behind in the user's home."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import closed_port_url, jiedan


def test_demo_walkthrough_runs_the_whole_flow_and_exits_0(tmp_path: Path) -> None:
    home = tmp_path / "users-own-home"
    done = jiedan("demo", "--no-tui", home=home, server=closed_port_url(), timeout=300)
    assert done.code == 0, str(done)
    out = done.stdout
    for step in (
        "client post",
        "--description-file",
        "--offline",
        "sync_state pending",
        "sync_state synced",
        "client award",
        "client fund",
        "status in progress",
        "jiedan deliver",
        "client accept",
        "status completed",
        "earnings summary",
        "points balance",
    ):
        assert step in out, step
    assert "available ¥3080.00" in out  # ¥120: the fee on what the first-order waiver leaves
    assert not home.exists()  # the demo used throw-away homes only
