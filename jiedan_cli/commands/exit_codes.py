"""The exit codes of the command-line contract (cli.md), and the one mapping to them."""

from __future__ import annotations

import os
import sys
from enum import IntEnum
from typing import Any, NoReturn

from jiedan_cli.domain.errors import (
    InvalidInput,
    JiedanError,
    NotFound,
    Offline,
    Refused,
    TemporaryFailure,
    TooManyAttempts,
    Unauthenticated,
)


class ExitCode(IntEnum):
    OK = 0
    BUG = 1
    USAGE = 2
    NOT_FOUND = 3
    REFUSED = 4
    UNAUTHENTICATED = 5
    OFFLINE = 6


def exit_code_for(exc: BaseException) -> ExitCode:
    if isinstance(exc, InvalidInput):
        return ExitCode.USAGE
    if isinstance(exc, NotFound):
        return ExitCode.NOT_FOUND
    if isinstance(exc, Refused | TooManyAttempts):
        return ExitCode.REFUSED
    if isinstance(exc, Unauthenticated):
        return ExitCode.UNAUTHENTICATED
    if isinstance(exc, Offline | TemporaryFailure):
        return ExitCode.OFFLINE
    return ExitCode.BUG


def run_cli(command: Any, argv: list[str]) -> NoReturn:
    """Run the root command. Every expected failure — ours, and Click's usage errors (a
    mistyped flag, a missing argument: exit 2) — becomes one `error: …` line on stderr and the
    contract's exit code."""
    from typer import Abort

    try:  # Typer's own Click (0.2x vendors it, privately)
        from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
    except ImportError:  # a Typer on the installed Click
        from click.exceptions import (  # type: ignore[assignment]
            ClickException,
            NoArgsIsHelpError,
            UsageError,
        )

    try:
        # not standalone: Click's errors come here, not to its boxed panel; a typer.Exit
        # comes back as its code, a command's return value (None) as itself
        done = command.main(args=argv, prog_name="jiedan", standalone_mode=False)
    except NoArgsIsHelpError as exc:  # a group typed alone: its help, as before
        exc.show()
        sys.exit(exc.exit_code)
    except ClickException as exc:
        from jiedan_cli.render import safe_text

        context = exc.ctx if isinstance(exc, UsageError) else None
        see = f" (see `{context.command_path} -h`)" if context is not None else ""
        print(f"error: {safe_text(exc.format_message())}{see}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Abort:  # end of input at a prompt
        print("error: aborted", file=sys.stderr)
        sys.exit(ExitCode.BUG)
    except JiedanError as exc:
        from jiedan_cli.render import safe_text  # the message may quote the server

        print(f"error: {safe_text(exc.message)}", file=sys.stderr)
        for line in getattr(exc, "details", ()):  # e.g. the ids an ambiguous prefix matches
            print(f"  {safe_text(line)}", file=sys.stderr)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("JIEDAN_DEBUG"):
            raise
        from jiedan_cli.render import safe_text

        print(
            f"error: internal error ({type(exc).__name__}: {safe_text(exc)}); this is a bug — "
            "run again with JIEDAN_DEBUG=1 for the traceback",
            file=sys.stderr,
        )
        sys.exit(ExitCode.BUG)
    sys.exit(done if isinstance(done, int) else ExitCode.OK)
