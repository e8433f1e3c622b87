"""`jiedan watch` against the real server's market: a saved search, one round of `run --once`
as JSON Lines with a hook fed each order, nothing new on the next round; the contract's exit
codes for a name taken (4) or unknown (3)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.cli.conftest import User


def test_a_watch_reports_new_orders_once_and_runs_the_hook(
    client: User, freelancer: User, tmp_path: Path
) -> None:
    match = client.post_order(title="品牌 logo 设计", category="design", tags=["logo"])
    client.post_order(title="网站开发", category="development")
    freelancer.ok("watch", "add", "logos", "--query", "logo", "--category", "design")
    assert freelancer.run("watch", "add", "logos", "--query", "x").code == 4
    [listed] = freelancer.ok("watch", "list", "--json").json()
    assert (listed["name"], listed["query"], listed["category"]) == ("logos", "logo", "design")

    hook_log = tmp_path / "hook.jsonl"
    hook = tmp_path / "hook.py"
    hook.write_text(
        "import json, os, sys\n"
        "seen = [os.environ['JIEDAN_WATCH'], json.load(sys.stdin)['id']]\n"
        f"with open({str(hook_log)!r}, 'a') as out:\n"
        "    out.write(json.dumps(seen) + '\\n')\n"
    )
    done = freelancer.ok("watch", "run", "--once", "--json", "--hook", f"{sys.executable} {hook}")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(line["watch"], line["order"]["id"]) for line in lines] == [("logos", match["id"])]
    assert [json.loads(line) for line in hook_log.read_text().splitlines()] == [
        ["logos", match["id"]]
    ]
    assert freelancer.ok("watch", "run", "--once").stdout == ""  # nothing new

    freelancer.ok("watch", "remove", "logos")
    assert freelancer.run("watch", "remove", "logos").code == 3
