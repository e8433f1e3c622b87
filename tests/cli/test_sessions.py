"""`jiedan auth sessions [revoke ID|--all]` and `jiedan auth password` against the real
server: where you are signed in (device, address, last seen, which is this one), ending a
session or all the others, and a password change that signs every other session out."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from tests.cli.conftest import Run, User, jiedan
from tests.sync.conftest import PASSWORD


def sign_in_elsewhere(user: User, home: Path, password: str = PASSWORD) -> Run:
    return jiedan(
        *("auth", "login", "--email", user.email, "--password-stdin"),
        home=home,
        server=user.server.url,
        input=password + "\n",
    )


def listed(user: User) -> list[dict[str, Any]]:
    return list(user.ok("auth", "sessions", "--json").json())


def test_sessions_show_device_address_and_this_one_and_revoke_one(
    freelancer: User, make_user: Any, tmp_path: Path
) -> None:
    laptop = tmp_path / "laptop"
    assert sign_in_elsewhere(freelancer, laptop).code == 0
    sessions = listed(freelancer)
    assert len(sessions) == 2
    device = f"{socket.gethostname()[:60]} · jiedan cli"
    assert {s["device"] for s in sessions} == {device}
    assert {s["address"] for s in sessions} == {"127.0.0.1"}
    assert sorted(s["current"] for s in sessions) == [False, True]
    table = freelancer.ok("auth", "sessions")
    assert table.stdout.count("this session") == 1  # TSV on a pipe, one row a session
    assert len(table.stdout.splitlines()) == 2

    theirs = next(s["id"] for s in sessions if not s["current"])
    stranger = make_user()
    not_theirs = stranger.run("auth", "sessions", "revoke", theirs)
    assert not_theirs.code == 3 and not_theirs.stderr.startswith("error: no session")
    status = ("auth", "status")
    assert jiedan(*status, home=laptop, server=freelancer.server.url).code == 0

    done = freelancer.ok("auth", "sessions", "revoke", theirs)
    assert f"session {theirs} signed out" in done.stderr
    assert jiedan(*status, home=laptop, server=freelancer.server.url).code == 5
    assert [s["current"] for s in listed(freelancer)] == [True]


def test_revoke_needs_an_id_or_all_and_all_keeps_this_session(
    freelancer: User, tmp_path: Path
) -> None:
    assert freelancer.run("auth", "sessions", "revoke").code == 2
    assert freelancer.run("auth", "sessions", "revoke", "some-id", "--all").code == 2
    homes = [tmp_path / f"device-{n}" for n in range(2)]
    for home in homes:
        assert sign_in_elsewhere(freelancer, home).code == 0
    done = freelancer.ok("auth", "sessions", "revoke", "--all")
    assert "2 other session(s) signed out" in done.stderr
    for home in homes:
        assert jiedan("auth", "status", home=home, server=freelancer.server.url).code == 5
    assert freelancer.ok("auth", "status").code == 0


def test_revoking_this_session_signs_out_here(freelancer: User) -> None:
    this = next(s["id"] for s in listed(freelancer) if s["current"])
    done = freelancer.ok("auth", "sessions", "revoke", this)
    assert "this session is signed out" in done.stderr
    assert freelancer.run("auth", "status").code == 5


def test_changing_the_password_signs_the_other_sessions_out(
    freelancer: User, tmp_path: Path
) -> None:
    laptop = tmp_path / "laptop"
    assert sign_in_elsewhere(freelancer, laptop).code == 0
    no_terminal = freelancer.run("auth", "password")
    assert no_terminal.code == 2 and "--password-stdin" in no_terminal.stderr
    wrong = freelancer.run("auth", "password", "--password-stdin", input="guess 1234\nnew one 12\n")
    assert wrong.code == 5 and wrong.stderr == "error: the password is wrong\n"
    short = freelancer.run("auth", "password", "--password-stdin", input=f"{PASSWORD}\nshort\n")
    assert short.code == 2

    new = "a brand new password"
    done = freelancer.ok("auth", "password", "--password-stdin", input=f"{PASSWORD}\n{new}\n")
    assert "1 other session(s) signed out" in done.stderr
    assert jiedan("auth", "status", home=laptop, server=freelancer.server.url).code == 5
    assert freelancer.ok("auth", "status").code == 0  # this one stays
    assert sign_in_elsewhere(freelancer, tmp_path / "old", PASSWORD).code == 5
    assert sign_in_elsewhere(freelancer, tmp_path / "new", new).code == 0
