"""The dashboard is registered as `jiedan tui` / `jiedan dashboard`, yet the command line's
hot path never imports textual (≈180 ms, performance.md P1): not for a read command, not
for --help, not even for `jiedan tui --help`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import atexit, json, sys
def report():
    loaded = sorted(m for m in sys.modules
                    if m.split(".")[0] == "textual" or m.startswith("jiedan_cli.tui"))
    sys.stderr.write("LOADED " + json.dumps(loaded) + "\\n")
atexit.register(report)
from jiedan_cli.cli import main
main(sys.argv[1:])
"""


def loaded_modules(home: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"JIEDAN_HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED "))
    return list(json.loads(line.removeprefix("LOADED ")))


@pytest.mark.parametrize(
    "args",
    [("orders", "list", "--json"), ("--help",), ("tui", "--help"), ("dashboard", "--help")],
)
def test_the_command_line_does_not_import_textual(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert loaded_modules(tmp_path, *args) == []
