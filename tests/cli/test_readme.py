"""The README as a new user follows it (issue #10, item 14): every `client post` it shows has
the required description, and the limits an unverified freelancer meets are written down
with the numbers the server uses. (The transcripts themselves were pasted from real runs.)"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from jiedan_cli.server.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_client_post_shown_has_its_description() -> None:
    """Given as an option, or as the words --from-text drafts the order from."""
    posts = [line for line in README.splitlines() if "jiedan client post" in line]
    assert posts
    for line in posts:
        assert re.search(r"--description(-file)? |--from-text", line), line


def test_the_daily_bid_cap_of_unverified_accounts_is_documented() -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    cap = defaults["unverified_bids_per_day"]
    assert f"most {cap} bids a day" in README
    assert f'"unverified accounts may place {cap} bids a day"' in README
    assert "¥5,000" in README and defaults["unverified_max_award_fen"] == 500_000
