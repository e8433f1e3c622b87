"""Help as a new user reads it (issue #10, item 13): the autobid rules file shown whole
(`[[rule]]` survives Rich markup), `watch run` says it runs until Ctrl-C unless --once and
that --json prints JSON Lines, the root help boxed as every group's is, no `<bool>` beside a
flag, and a mistyped group or command gets "Did you mean …?"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import closed_port_url, jiedan


def help_of(tmp_path: Path, *args: str) -> str:
    done = jiedan(*args, "--help", home=tmp_path, server=closed_port_url())
    assert done.code == 0, str(done)
    return done.stdout


def test_autobid_help_shows_a_whole_rules_file(tmp_path: Path) -> None:
    text = help_of(tmp_path, "autobid", "run")
    assert "A TOML file of [[rule]] tables" in text
    for line in ("[[rule]]", 'watch = "logos"', 'amount = "budget_max"', "days = 5"):
        assert line in text, line
    assert "--dry-run" in text


def test_the_example_in_the_autobid_help_is_a_working_rules_file(tmp_path: Path) -> None:
    import tomllib

    text = help_of(tmp_path, "autobid", "run")
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if "max_bids_per_day" in line)
    end = next(n for n, line in enumerate(lines) if "max_per_day = 5" in line)
    document = tomllib.loads("\n".join(line.strip() for line in lines[start : end + 1]))
    from jiedan_cli.store.autobid import read_rules

    rules, cap = read_rules(document)
    assert (len(rules), cap, rules[0].watch, rules[0].days) == (1, 10, "logos", 5)


def test_watch_run_help_agrees_with_the_group(tmp_path: Path) -> None:
    run = " ".join(help_of(tmp_path, "watch", "run").split())
    assert "runs until Ctrl-C unless --once" in run
    assert "JSON Lines" in run and "exactly one JSON document" not in run
    group = help_of(tmp_path, "watch")  # boxed, so the line may wrap
    assert "runs until Ctrl-C" in group and "--once" in group


@pytest.mark.subprocess(reason="smoke: the real process")
def test_root_help_is_boxed_like_the_groups(tmp_path: Path) -> None:
    root, group = help_of(tmp_path), help_of(tmp_path, "orders")
    for text in (root, group):
        assert "╭─ Options" in text and "╭─ Commands" in text
    assert "│ orders " in root and "│ autobid " in root


def test_a_commands_summary_flows_as_one_paragraph(tmp_path: Path) -> None:
    """Its docstring's line breaks are the source's: "tiers first" stood alone on a line of
    an 80-column terminal, "(钻石, 金牌, 银牌, 普通), …" on the next."""
    done = jiedan(
        "client", "--help", home=tmp_path, server=closed_port_url(), env={"COLUMNS": "80"}
    )
    text = done.stdout
    lines = [line.strip("│ ") for line in text.splitlines()]
    assert "tiers first" not in lines, text
    at = next(n for n, line in enumerate(lines) if line.startswith("bids"))
    assert lines[at + 1].startswith("tiers first (钻石"), text


def test_flags_show_no_bool_type(tmp_path: Path) -> None:
    for args in (("bid", "create"), ("watch", "run"), ("orders", "list"), ()):
        text = help_of(tmp_path, *args)
        assert "<bool>" not in text, args
    assert "--json" in help_of(tmp_path, "orders", "list")


@pytest.mark.subprocess(reason="smoke: the real process")
def test_typos_get_did_you_mean(tmp_path: Path) -> None:
    group = jiedan("ordrs", "list", home=tmp_path, server=closed_port_url())
    assert group.code == 2 and "Did you mean 'orders'?" in group.stderr, str(group)
    command = jiedan("orders", "lst", home=tmp_path, server=closed_port_url())
    assert command.code == 2 and "Did you mean 'list'?" in command.stderr, str(command)
    nothing = jiedan("zzzzzz", home=tmp_path, server=closed_port_url())
    assert nothing.code == 2 and "Did you mean" not in nothing.stderr
