"""`jiedan …` run inside the test process, isolated as a subprocess would be.

Starting `python -m jiedan_cli` costs ≈0.3 s of CPU per call, and the command-line tests make
hundreds of calls. Here the same entry point (`jiedan_cli.cli.main`, which maps errors to the
contract's exit codes) runs under Click's test isolation (`typer.testing.CliRunner`): stdin
from `input`, stdout and stderr captured apart and read as a text-mode pipe would be (universal
newlines), the exit code from SystemExit.

What a fresh process would not carry over is put back around every call:
- the environment: exactly the given one during the call (keys not in it are removed), the
  test process's own afterwards; TZ applied with time.tzset();
- the working directory and the umask;
- module state that the CLI or its libraries keep between calls in one process: keyring's
  chosen backend (read once from PYTHON_KEYRING_BACKEND), rich's global console (its width
  read once from COLUMNS), logging's handlers.
What the call must not leave behind fails the test (`Leak`): a thread still running, a file
still open under JIEDAN_HOME (an sqlite connection not closed), a changed environment,
working directory, umask, logging or signal handler.

Some settings are read by libraries once, at import (typer's FORCE_COLOR/TERMINAL_WIDTH,
Python's own PYTHON* and locale variables): a call that sets them differently from the test
process cannot be run here and raises `NeedsProcess` — mark that test `subprocess`."""

from __future__ import annotations

import faulthandler
import io
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import click.formatting
from typer.testing import CliRunner

# read once per process (at interpreter start or at a library's import): cannot differ per call
READ_AT_START = (
    "TERMINAL_WIDTH",
    "FORCE_COLOR",
    "PY_COLORS",
    "GITHUB_ACTIONS",
    "_TYPER_FORCE_DISABLE_TERMINAL",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
)
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE)
THREAD_GRACE_SECONDS = 2.0  # for a cancelled timer or a finished worker to end


class Leak(AssertionError):
    """The command left state behind that a subprocess would have taken with it."""


class NeedsProcess(AssertionError):
    """The call sets something that can only take effect in a new process."""


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    input: str | None = None,
    timeout: float = 120,
) -> Outcome:
    """`jiedan ARGS` in this process with exactly `env` as its environment."""
    _refuse_start_settings(env)
    before = _Snapshot.take()
    home = Path(env["JIEDAN_HOME"]).resolve() if env.get("JIEDAN_HOME") else None
    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    overrides.update(env)
    _forget_module_state()
    runner = CliRunner()
    os.chdir(cwd)
    try:
        with runner.isolation(input=input, env=overrides) as (out, err, _):
            click.formatting.FORCED_WIDTH = None  # the runner's 80; a process measures (put back)
            _apply_tz()
            # a hang: every thread's traceback and the worker ends, rather than waiting forever
            faulthandler.dump_traceback_later(timeout, exit=True, file=sys.__stderr__)
            try:
                code = _call(list(args))
            finally:
                faulthandler.cancel_dump_traceback_later()
                sys.stdout.flush()
                sys.stderr.flush()
            changed_env = _differences(dict(env), dict(os.environ))
            changed_cwd = Path.cwd() != Path(cwd)
            stdout, stderr = _as_pipe_text(out.getvalue()), _as_pipe_text(err.getvalue())
    finally:
        os.chdir(before.cwd)
        _apply_tz()
        _forget_module_state()
    problems = before.compare(home)
    if changed_env:
        problems.append(f"the environment was changed during the call: {changed_env}")
    if changed_cwd:
        problems.append(f"the working directory was changed to {Path.cwd()}")
    if problems:
        raise Leak(f"jiedan {' '.join(args)} left behind:\n  " + "\n  ".join(problems))
    return Outcome(code, stdout, stderr)


def _call(argv: list[str]) -> int:
    """What `python -m jiedan_cli` does with argv, the exit code as the process's would be."""
    from jiedan_cli.cli import main

    try:
        main(argv)
    except SystemExit as done:
        return _exit_status(done.code)
    except Exception:  # uncaught (JIEDAN_DEBUG re-raises): Python prints it and exits 1
        sys.stderr.write(traceback.format_exc())
        return 1
    return 0


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)  # sys.exit("message")
    return 1


def _as_pipe_text(data: bytes) -> str:
    """As subprocess.run(text=True) reads a pipe: UTF-8, universal newlines."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None).read()


def _refuse_start_settings(env: Mapping[str, str]) -> None:
    differing = [k for k in READ_AT_START if env.get(k) != os.environ.get(k)]
    differing += [
        k
        for k in {*env, *os.environ}
        if k.startswith("PYTHON")
        and k != "PYTHON_KEYRING_BACKEND"
        and env.get(k) != os.environ.get(k)
    ]
    if differing:
        raise NeedsProcess(
            f"{sorted(differing)} only take effect in a new process: "
            "mark the test @pytest.mark.subprocess"
        )


def _apply_tz() -> None:
    if hasattr(time, "tzset"):
        time.tzset()


def _forget_module_state() -> None:
    """What a library chose once per process from the environment of the call that first
    needed it: chosen again by the next call, from its own environment."""
    keyring_core = sys.modules.get("keyring.core")
    if keyring_core is not None:
        keyring_core._keyring_backend = None  # type: ignore[attr-defined]
    rich = sys.modules.get("rich")
    if rich is not None:
        rich._console = None  # type: ignore[attr-defined]


def _differences(expected: dict[str, str], found: dict[str, str]) -> list[str]:
    keys = sorted(k for k in {*expected, *found} if expected.get(k) != found.get(k))
    return [f"{k}: {expected.get(k)!r} → {found.get(k)!r}" for k in keys]


@dataclass
class _Snapshot:
    """What a call must leave as it found it."""

    env: dict[str, str]
    cwd: str
    umask: int
    threads: set[threading.Thread]
    root_handlers: list[logging.Handler]
    root_level: int
    signals: dict[int, object]
    open_files: set[str]

    @classmethod
    def take(cls) -> _Snapshot:
        root = logging.getLogger()
        return cls(
            env=dict(os.environ),
            cwd=os.getcwd(),
            umask=_umask(),
            threads=set(threading.enumerate()),
            root_handlers=list(root.handlers),
            root_level=root.level,
            signals={s: signal.getsignal(s) for s in SIGNALS},
            open_files=set(_open_files()),
        )

    def compare(self, home: Path | None) -> list[str]:
        later = _Snapshot.take()
        problems: list[str] = []
        if later.env != self.env:
            problems.append(f"environment: {_differences(self.env, later.env)}")
        if later.umask != self.umask:
            problems.append(f"umask {self.umask:o} → {later.umask:o}")
        if later.root_handlers != self.root_handlers or later.root_level != self.root_level:
            problems.append("logging's root handlers or level")
        for number, handler in self.signals.items():
            if signal.getsignal(number) != handler:
                problems.append(f"the handler of {signal.Signals(number).name}")
        problems += [f"thread {t.name!r} still running" for t in self._new_threads()]
        if home is not None:
            opened = sorted(set(later.open_files) - self.open_files)
            problems += [f"{path} still open" for path in opened if _is_under(path, home)]
        return problems

    def _new_threads(self) -> list[threading.Thread]:
        give_up = time.monotonic() + THREAD_GRACE_SECONDS
        left = []
        for thread in threading.enumerate():
            if thread in self.threads or _serves_the_live_server(thread):
                continue
            thread.join(max(0.0, give_up - time.monotonic()))
            if thread.is_alive():
                left.append(thread)
        return left


def _umask() -> int:
    """The umask, read without setting it where Linux tells it (setting it, even back, races
    with the live server's thread creating files)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return mask
    for line in status.splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise AssertionError("no Umask line in /proc/self/status")


def _serves_the_live_server(thread: threading.Thread) -> bool:
    """The test's own server runs in this process (tests/sync/conftest.LiveServer); its
    request handlers start anyio worker threads, which stay for the next request."""
    return type(thread).__module__.startswith("anyio.")


def _open_files() -> list[str]:
    """The files this process holds open (Linux's /proc; elsewhere nothing to check)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return []
    found = []
    for fd in fds.iterdir():
        try:
            found.append(os.readlink(fd))
        except OSError:  # closed meanwhile (the listing's own descriptor)
            continue
    return found


def _is_under(path: str, home: Path) -> bool:
    """A replica connection or a lock file the command did not close."""
    return path == str(home) or path.startswith(str(home) + os.sep)
