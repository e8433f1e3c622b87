"""`jiedan account export` against the real server: the whole document on stdout (one JSON
document), or to a file only its owner can read; a path that cannot be written is exit 2, no
network exit 6."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.cli.conftest import User


def test_the_export_goes_to_stdout_or_to_a_private_file(freelancer: User, tmp_path: Path) -> None:
    shown = freelancer.ok("account", "export").json()
    assert shown["account"]["id"] == freelancer.id and shown["profile"]["user_id"] == freelancer.id

    target = tmp_path / "我的数据.json"
    done = freelancer.ok("account", "export", "-o", str(target))
    assert done.stdout == "" and str(target) in done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text(encoding="utf-8"))["account"]["email"] == freelancer.email


def test_export_errors_keep_the_contracts_exit_codes(freelancer: User, tmp_path: Path) -> None:
    nowhere = freelancer.run("account", "export", "-o", str(tmp_path / "no" / "such" / "x.json"))
    assert nowhere.code == 2 and nowhere.stderr.startswith("error: -o: cannot write")
    offline = freelancer.unreachable("account", "export")
    assert offline.code == 6 and offline.stdout == ""
