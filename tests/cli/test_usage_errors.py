"""A mistyped flag, a missing option or a value Click cannot convert is a usage error as every
other bad input is (cli.md): exit 2 and one line `error: …` on stderr that names the command's
help — not Click's usage block and boxed panel. A group typed alone still shows its help."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import closed_port_url, jiedan


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("orders", "list", "--bogus"),
            "error: No such option: --bogus (see `jiedan orders list -h`)",
        ),
        (
            ("orders", "list", "--statu", "open"),
            "error: No such option: --statu (Possible options: --status, --tag)"
            " (see `jiedan orders list -h`)",
        ),
        (
            ("sync", "--interval", "soon"),
            "error: Invalid value for '--interval': Input should be a valid number, unable to"
            " parse string as a number (see `jiedan sync -h`)",
        ),
        (
            ("bid", "create", "01a24c80-74aa", "--amount"),
            "error: Option '--amount' requires an argument.",  # Click knows no command here
        ),
        (("orders", "show"), "error: Missing argument 'order_id'. (see `jiedan orders show -h`)"),
        (
            ("ordrs", "list"),
            "error: No such command 'ordrs'. Did you mean 'orders'? (see `jiedan -h`)",
        ),
    ],
)
def test_click_usage_errors_are_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    done = jiedan(*args, home=tmp_path, server=closed_port_url())
    assert done.code == 2, str(done)
    assert done.stdout == ""
    assert done.stderr == said + "\n"


@pytest.mark.subprocess(reason="smoke: the real process")
def test_the_real_process_says_a_bad_flag_in_one_line(tmp_path: Path) -> None:
    done = jiedan("bid", "list", "--bogus", home=tmp_path, server=closed_port_url())
    said = "error: No such option: --bogus (see `jiedan bid list -h`)\n"
    assert (done.code, done.stderr) == (2, said)


def test_a_group_alone_still_shows_its_help(tmp_path: Path) -> None:
    done = jiedan("orders", home=tmp_path, server=closed_port_url())
    assert done.code == 2, str(done)
    assert "Usage: jiedan orders" in done.stdout + done.stderr
    assert "error:" not in done.stderr


def test_help_and_version_still_exit_0(tmp_path: Path) -> None:
    assert jiedan("orders", "list", "-h", home=tmp_path, server=closed_port_url()).code == 0
    version = jiedan("--version", home=tmp_path, server=closed_port_url())
    assert version.code == 0 and version.stdout.startswith("jiedan ")
