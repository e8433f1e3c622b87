"""`jiedan account referral` and `jiedan auth register --referral CODE` against the real
server: the code on stdout (and in --json), a friend registered with it listed as pending; an
unknown code is refused (exit 4, one error line) and a malformed one is a usage error (exit 2),
neither making an account; offline is exit 6."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Run, User, jiedan
from tests.sync.conftest import PASSWORD


def register(user: User, home: Path, email: str, *extra: str) -> Run:
    return jiedan(
        "auth", "register", "--email", email, "--name", "新朋友", "--password-stdin", *extra,
        home=home, server=user.server.url, input=PASSWORD + "\n",
    )  # fmt: skip


def test_a_friend_registers_with_the_code_and_is_listed(freelancer: User, tmp_path: Path) -> None:
    mine = freelancer.ok("account", "referral", "--json").json()
    assert len(mine["code"]) == 8 and mine["invited"] == [] and mine["referred_by"] is None
    plain = freelancer.ok("account", "referral")
    assert f"code\t{mine['code']}\n" in plain.stdout
    assert f"--referral {mine['code']}" in plain.stderr

    email = f"friend-{freelancer.id[:8]}@example.com"
    done = register(freelancer, tmp_path / "friend", email, "--referral", mine["code"].lower())
    assert done.code == 0, done
    listed = freelancer.ok("account", "referral", "--json").json()["invited"]
    assert [r["status"] for r in listed] == ["pending"]


def test_unknown_and_malformed_codes_keep_the_contracts_exit_codes(
    freelancer: User, tmp_path: Path
) -> None:
    email = f"nobody-{freelancer.id[:8]}@example.com"
    unknown = register(freelancer, tmp_path / "a", email, "--referral", "ZZZZ2345")
    assert unknown.code == 4, unknown
    assert unknown.stderr.startswith("error: no account has the referral code ZZZZ2345")
    assert unknown.stderr.count("\n") == 1
    malformed = register(freelancer, tmp_path / "b", email, "--referral", "no!")
    assert malformed.code == 2 and "referral code" in malformed.stderr
    # neither made the account: the e-mail is still free
    assert register(freelancer, tmp_path / "c", email).code == 0
    assert freelancer.unreachable("account", "referral").code == 6
