"""`jiedan auth 2fa enable|confirm|disable` against the real server, and signing in with a
one-time code; on a terminal, `enable` shows the otpauth URI as a QR code and asks for a first
code. Codes come from pyotp with the secret the server gave, a step apart each time: the
server burns every step it accepts."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyotp
import pytest
import segno

from jiedan_cli.qr import BORDER, DARK, qr_text
from tests.cli.conftest import ROOT, User, environment, jiedan
from tests.sync.conftest import PASSWORD


def _codes(secret: str) -> tuple[pyotp.TOTP, int]:
    """The authenticator, and the current step (codes of the steps next to it pass too)."""
    return pyotp.TOTP(secret), int(time.time()) // 30


def test_two_factor_sign_in_from_enable_to_a_login_that_needs_the_code(
    freelancer: User, tmp_path: Path
) -> None:
    enable = ("auth", "2fa", "enable", "--json", "--password-stdin")
    alone = freelancer.run(*enable, input="not the password\n")  # a stolen token, say
    assert alone.code == 5 and alone.stdout == ""
    started = freelancer.ok(*enable, input=PASSWORD + "\n").json()
    assert set(started) == {"secret", "otpauth_uri"}  # exactly the JSON, no QR on a pipe
    assert f"secret={started['secret']}" in started["otpauth_uri"]
    totp, step = _codes(started["secret"])

    wrong = freelancer.run("auth", "2fa", "confirm", "--otp", "000000")
    assert wrong.code == 5 and wrong.stderr.startswith("error: ")
    confirmed = freelancer.ok("auth", "2fa", "confirm", "--otp", totp.at(step * 30))
    assert "two-factor sign-in is on" in confirmed.stderr

    login = ("auth", "login", "--email", freelancer.email, "--password-stdin")
    laptop = tmp_path / "laptop"
    without = jiedan(*login, home=laptop, server=freelancer.server.url, input=PASSWORD)
    assert without.code == 5, str(without)
    assert "--otp" in without.stderr and without.stderr.count("\n") == 1
    code = totp.at((step + 1) * 30)
    signed_in = jiedan(
        *login, "--otp", code, home=laptop, server=freelancer.server.url, input=PASSWORD
    )
    assert signed_in.code == 0, str(signed_in)


def test_two_factor_is_turned_off_with_a_current_code(freelancer: User) -> None:
    enabled = freelancer.ok("auth", "2fa", "enable", "--json", "--password-stdin", input=PASSWORD)
    secret = enabled.json()["secret"]
    totp, step = _codes(secret)
    freelancer.ok("auth", "2fa", "confirm", "--otp", totp.at(step * 30))
    assert freelancer.run("auth", "2fa", "disable", "--otp", "123456").code == 5
    off = freelancer.ok("auth", "2fa", "disable", "--otp", totp.at((step + 1) * 30))
    assert "two-factor sign-in is off" in off.stderr
    assert freelancer.api("GET", "/v1/me")["totp_enabled"] is False


def test_the_qr_code_is_the_uris_symbol_two_modules_a_cell() -> None:
    uri = "otpauth://totp/jiedan:a%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    expected = [list(row) for row in segno.make_qr(uri, error="l").matrix_iter(border=BORDER)]
    text = qr_text(uri)
    drawn: list[list[int]] = []
    for line in text.split("\n"):
        if not line.plain:
            continue
        upper, lower = [], []
        for span in line.spans:
            style = span.style
            assert not isinstance(style, str) and style.color and style.bgcolor
            run = span.end - span.start
            upper += [int(style.color.name == DARK)] * run
            lower += [int(style.bgcolor.name == DARK)] * run
        assert set(line.plain) == {"▀"}
        drawn += [upper, lower]
    assert drawn[: len(expected)] == expected
    assert drawn[len(expected) :] in ([], [[0] * len(expected[0])])  # a light last half-line


@pytest.mark.subprocess(reason="a real terminal (a pty)")
def test_on_a_terminal_enable_shows_the_qr_code_and_asks_for_the_first_code(
    freelancer: User,
) -> None:
    primary, secondary = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "jiedan_cli", "auth", "2fa", "enable"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=environment(freelancer.home, freelancer.server.url, {"COLUMNS": "120"}),
        cwd=ROOT,
        preexec_fn=_terminal_of_its_own,  # the password is read from /dev/tty, without echo
    )
    os.close(secondary)
    _read_until(primary, b"password: ")
    os.write(primary, PASSWORD.encode() + b"\n")
    shown = _read_until(primary, b"code from the app")
    assert PASSWORD not in shown  # not echoed
    secret = freelancer.api("GET", "/v1/me")  # still off until confirmed
    assert secret["totp_enabled"] is False
    assert shown.count("▀") > 400  # a symbol of at least 21 × 21 modules, two a cell
    uri_secret = shown.split("secret=")[1][:32]
    totp, step = _codes(uri_secret)
    os.write(primary, totp.at(step * 30).encode() + b"\n")
    shown += _read_until(primary, b"two-factor sign-in is on")
    assert process.wait(timeout=30) == 0
    os.close(primary)
    assert freelancer.api("GET", "/v1/me")["totp_enabled"] is True


def _terminal_of_its_own() -> None:
    """In the child: a session whose controlling terminal is its stdin, as in a shell."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_until(fd: int, marker: bytes, timeout: float = 30) -> str:
    """What the terminal showed until `marker` appeared."""
    seen = b""
    give_up = time.monotonic() + timeout
    while marker not in seen:
        left = give_up - time.monotonic()
        assert left > 0, f"never saw {marker!r} in {seen.decode(errors='replace')!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            seen += os.read(fd, 65536)
    return seen.decode(errors="replace")
