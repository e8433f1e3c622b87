"""`jiedan auth …` against the real server: sign-up, sign-in, status, token, sign-out, and
the exit codes of the contract (5 bad credentials / not signed in, 6 unreachable, 2 usage)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import User, closed_port_url, jiedan
from tests.sync.conftest import PASSWORD, LiveServer


@pytest.mark.subprocess(reason="smoke: the real process")
def test_register_signs_in_binds_the_replica_and_syncs(freelancer: User) -> None:
    status = freelancer.ok("auth", "status", "--json").json()
    assert status == {
        "logged_in": True,
        "email": freelancer.email,
        "user_id": freelancer.id,
        "name": status["name"],
        "roles": ["freelancer"],
        "server": freelancer.server.url,
        "review": None,  # added by #12: a registration held for review says so here
    }
    # the token is kept in a 0600 file (no keyring here) and never in the local database
    credentials = freelancer.home / "config" / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    stored = json.loads(credentials.read_text())
    assert stored[freelancer.server.url]["token"] == freelancer.token
    assert freelancer.token.encode() not in (freelancer.home / "data" / "jiedan.db").read_bytes()
    assert freelancer.ok("sync", "status", "--json").json()["last_sync_at"] is not None


@pytest.mark.subprocess(reason="smoke: the real process")
def test_login_with_a_bad_password_exits_5_with_one_error_line(
    freelancer: User, tmp_path: Path
) -> None:
    other_home = tmp_path / "elsewhere"
    done = jiedan(
        *("auth", "login", "--email", freelancer.email, "--password-stdin"),
        home=other_home,
        server=freelancer.server.url,
        input="not the password\n",
    )
    assert done.code == 5, str(done)
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")


def test_login_then_logout(freelancer: User, tmp_path: Path) -> None:
    laptop = User(freelancer.server, tmp_path / "laptop", freelancer.email)
    laptop.ok("auth", "login", "--email", freelancer.email, "--password-stdin", input=PASSWORD)
    assert laptop.ok("auth", "status", "--json").json()["user_id"] == freelancer.id
    token = laptop.ok("auth", "token").stdout.strip()
    assert token and token != freelancer.token

    laptop.ok("auth", "logout")
    after = laptop.run("auth", "status", "--json")
    assert after.code == 5
    assert after.json()["logged_in"] is False
    assert laptop.run("auth", "token").code == 5
    # the session ended on the server too
    assert freelancer.server.url
    import httpx

    me = httpx.get(f"{freelancer.server.url}/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


@pytest.mark.subprocess(reason="smoke: the real process")
def test_login_and_register_exit_6_when_the_server_is_unreachable(tmp_path: Path) -> None:
    nowhere = closed_port_url()
    login = jiedan(
        "auth",
        "login",
        "--email",
        "a@example.com",
        "--password-stdin",
        home=tmp_path,
        server=nowhere,
        input=PASSWORD,
    )
    assert login.code == 6, str(login)
    assert login.stderr.startswith("error: cannot reach the server")
    register = jiedan(
        "auth",
        "register",
        "--email",
        "a@example.com",
        "--name",
        "A",
        "--password-stdin",
        home=tmp_path,
        server=nowhere,
        input=PASSWORD,
    )
    assert register.code == 6, str(register)


def test_status_and_token_when_never_signed_in_exit_5(
    live_server: LiveServer, tmp_path: Path
) -> None:
    status = jiedan("auth", "status", "--json", home=tmp_path, server=live_server.url)
    assert status.code == 5
    assert status.json()["logged_in"] is False
    token = jiedan("auth", "token", home=tmp_path, server=live_server.url)
    assert token.code == 5 and token.stdout == ""


def test_register_with_a_short_password_or_a_bad_role_is_a_usage_error(
    live_server: LiveServer, tmp_path: Path
) -> None:
    short = jiedan(
        "auth",
        "register",
        "--email",
        "s@example.com",
        "--name",
        "S",
        "--password-stdin",
        home=tmp_path,
        server=live_server.url,
        input="abc\n",
    )
    assert short.code == 2, str(short)
    role = jiedan(
        "auth",
        "register",
        "--email",
        "s@example.com",
        "--name",
        "S",
        "--role",
        "boss",
        "--password-stdin",
        home=tmp_path,
        server=live_server.url,
        input=PASSWORD,
    )
    assert role.code == 2, str(role)


def test_jiedan_token_overrides_stored_credentials(freelancer: User, tmp_path: Path) -> None:
    done = jiedan(
        "auth",
        "status",
        "--json",
        home=tmp_path,
        server=freelancer.server.url,
        env={"JIEDAN_TOKEN": freelancer.token},
    )
    assert done.code == 0, str(done)
    assert done.json()["user_id"] == freelancer.id


def test_the_server_signed_in_to_is_remembered_and_jiedan_server_still_wins(
    freelancer: User, tmp_path: Path
) -> None:
    """Reproduced by hand: after `auth login` with JIEDAN_SERVER set, a new shell without it
    was "not signed in" (it asked the default local server)."""
    url = freelancer.server.url
    no_variable = {"JIEDAN_SERVER": ""}
    laptop = tmp_path / "laptop"
    signed = jiedan(
        *("auth", "login", "--email", freelancer.email, "--password-stdin"),
        home=laptop,
        server=url,
        input=PASSWORD,
    )
    assert signed.code == 0, str(signed)
    later = jiedan("auth", "status", "--json", home=laptop, server=url, env=no_variable)
    assert later.code == 0, str(later)
    assert (later.json()["logged_in"], later.json()["server"]) == (True, url)

    desk = tmp_path / "desk"  # --server: nothing in the environment at all
    given = jiedan(
        *("auth", "login", "--email", freelancer.email, "--password-stdin", "--server", url),
        home=desk,
        server=url,
        input=PASSWORD,
        env=no_variable,
    )
    assert given.code == 0, str(given)
    assert jiedan("sync", "--json", home=desk, server=url, env=no_variable).code == 0

    elsewhere = closed_port_url()  # JIEDAN_SERVER wins over the remembered server
    status = jiedan("auth", "status", "--json", home=desk, server=elsewhere)
    assert status.json()["server"] == elsewhere and status.code == 5
