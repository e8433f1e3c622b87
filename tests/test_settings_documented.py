"""Every server setting is an environment variable with a row in the README's table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from jiedan_cli.server.config import Settings, env_name

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_server_setting_has_a_row_in_the_readme() -> None:
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `JIEDAN_")]
    documented = {line.split("`")[1] for line in rows}
    missing = [
        env_name(spec.name)
        for spec in dataclasses.fields(Settings)
        if env_name(spec.name) not in documented
    ]
    assert not missing, f"add these to the README's settings table: {missing}"
