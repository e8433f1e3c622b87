"""The in-process runner (tests/cli/inprocess.py) is as good as a process: the same exit codes
and output, the environment it was given and no other, nothing carried from one call to the
next."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli import inprocess
from tests.cli.conftest import ROOT, Run, User, closed_port_url, environment, jiedan, jiedan_process

NOT_A_DATABASE = b"this is not an SQLite database, but much longer than a header" * 20


def same_home(done: Run, home: Path) -> tuple[int, str, str]:
    """A run's code and output with its home's path written as HOME."""
    return done.code, done.stdout.replace(str(home), "HOME"), done.stderr.replace(str(home), "HOME")


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--help",),
        ("orders", "--help"),
        ("zzzzzz",),  # a typo of a group: exit 2
        ("orders", "lst"),
        ("bid", "create", "o1", "--amount", "abc", "--days", "7"),
        ("orders", "list"),  # empty: the hint on stderr, nothing on stdout
        ("orders", "list", "--json"),
        ("orders", "show", "no-such-order"),  # exit 3
        ("sync",),  # never signed in: exit 5
        ("auth", "status", "--json"),
        ("fees", "simulate", "--orders", "3", "--amount", "2000"),
        ("fees", "simulate", "--orders", "-1"),
    ],
)
def test_exit_codes_and_output_are_a_processs(tmp_path: Path, args: tuple[str, ...]) -> None:
    server = closed_port_url()
    here, there = tmp_path / "in", tmp_path / "process"
    in_process = jiedan(*args, home=here, server=server)
    as_process = jiedan_process(*args, home=there, server=server)
    assert same_home(in_process, here) == same_home(as_process, there), (
        f"{in_process}\n---\n{as_process}"
    )


def test_a_bug_is_exit_1_in_both(tmp_path: Path) -> None:
    for name in ("in", "process"):
        (tmp_path / name / "data").mkdir(parents=True)
        (tmp_path / name / "data" / "jiedan.db").write_bytes(NOT_A_DATABASE)
    server = closed_port_url()
    in_process = jiedan("orders", "list", "--json", home=tmp_path / "in", server=server)
    as_process = jiedan_process(
        "orders", "list", "--json", home=tmp_path / "process", server=server
    )
    assert (in_process.code, in_process.stdout) == (as_process.code, as_process.stdout) == (1, "")
    assert in_process.stderr.startswith("error: internal error (")
    assert (
        in_process.stderr.splitlines()[0].split(":")[:2]
        == (as_process.stderr.splitlines()[0].split(":")[:2])
    )


def test_stdout_and_stderr_are_kept_apart(tmp_path: Path) -> None:
    done = jiedan("orders", "list", "--json", home=tmp_path, server=closed_port_url())
    assert done.json() == []  # stdout is the document alone
    assert done.stderr.startswith("no orders in the local copy")
    refused = jiedan("orders", "show", "no-such-order", home=tmp_path, server=closed_port_url())
    assert (refused.code, refused.stdout) == (3, "")
    assert refused.stderr.startswith("error: ")


def test_the_call_sees_only_its_environment_and_the_tests_is_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token in the test process's environment is not the call's (environment() drops
    JIEDAN_*); a variable of the call is gone afterwards."""
    monkeypatch.setenv("JIEDAN_TOKEN", "a-token-of-the-test-process")
    monkeypatch.delenv("JIEDAN_DEBUG", raising=False)
    before, cwd = dict(os.environ), Path.cwd()
    done = jiedan("auth", "status", "--json", home=tmp_path, server=closed_port_url())
    assert done.code == 5, str(done)  # not signed in: the outer JIEDAN_TOKEN was not seen
    with_token = jiedan(
        "auth",
        "status",
        "--json",
        home=tmp_path,
        server=closed_port_url(),
        env={"JIEDAN_TOKEN": "a-token-of-the-call", "JIEDAN_DEBUG": "1"},
    )
    # signed in by the call's token: the (unreachable) server is asked, exit 6 not 5
    assert with_token.code == 6, str(with_token)
    assert dict(os.environ) == before
    assert Path.cwd() == cwd  # the call ran in ROOT, as a process of these tests does


def test_two_homes_share_nothing_between_calls(
    make_user: Callable[..., User], tmp_path: Path
) -> None:
    """Signed in in one home, then a call with another home: not signed in there, and the
    first is still signed in (no credentials, replica or keyring choice carried over)."""
    user = make_user("freelancer")
    elsewhere = tmp_path / "elsewhere"
    signed_in = jiedan("auth", "status", "--json", home=user.home, server=user.server.url)
    assert (signed_in.code, signed_in.json()["email"]) == (0, user.email), str(signed_in)
    other = jiedan("auth", "status", "--json", home=elsewhere, server=user.server.url)
    assert other.code == 5, str(other)
    listed = jiedan("orders", "list", "--json", home=elsewhere, server=user.server.url)
    assert listed.json() == []
    again = jiedan("auth", "status", "--json", home=user.home, server=user.server.url)
    assert again.json()["email"] == user.email, str(again)


def test_a_setting_read_at_start_asks_for_a_process(tmp_path: Path) -> None:
    env = environment(tmp_path, closed_port_url(), {"FORCE_COLOR": "1", "PYTHONUTF8": "0"})
    with pytest.raises(inprocess.NeedsProcess, match="FORCE_COLOR"):
        inprocess.run(("--version",), env=env, cwd=ROOT)
