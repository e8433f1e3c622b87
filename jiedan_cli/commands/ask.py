"""Asking for secrets the way every command does: a password without echo on a terminal, or
the first line(s) of stdin with `--password-stdin` (never an option's value, which the shell
history and `ps` would show); a one-time code asked on a terminal when the server wants one."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import typer

from jiedan_cli.domain.errors import InvalidInput, Unauthenticated

T = TypeVar("T")


def password(from_stdin: bool, *, confirm: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("password", hide_input=True, confirmation_prompt=confirm)
    else:
        raise InvalidInput("no terminal to ask the password on: use --password-stdin")
    if not password:
        raise InvalidInput("the password is empty")
    return password


def passwords(from_stdin: bool) -> tuple[str, str]:
    """(current, new) for `auth password`: two lines of stdin, or asked on a terminal (the
    new one twice)."""
    if from_stdin:
        current, new = (sys.stdin.readline().rstrip("\r\n") for _ in range(2))
    elif sys.stdin.isatty():
        current = typer.prompt("current password", hide_input=True)
        new = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    else:
        raise InvalidInput("no terminal to ask the passwords on: use --password-stdin")
    if not current or not new:
        raise InvalidInput("--password-stdin: the current password, then the new one, a line each")
    return current, new


def with_code(call: Callable[[str | None], T], otp: str | None) -> T:
    """`call(otp)`; when the server asks for a one-time code and none was given, ask it on a
    terminal (a script is told which flag carries it)."""
    try:
        return call(otp)
    except Unauthenticated as exc:
        if exc.code != "otp_required" or otp is not None:
            raise
        if not sys.stdin.isatty():
            raise Unauthenticated(f"{exc.message}: add --otp CODE", code=exc.code) from exc
        return call(typer.prompt("one-time code"))
