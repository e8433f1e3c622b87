"""`jiedan admin campaign add|list|end` and `jiedan points campaigns` against the real
server: an admin adds a campaign; a freelancer sees it after a sync, offline, with its
urgency ("ends in 3 h"); a freelancer may not add one (exit 4); bad flags are exit 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from jiedan_cli.domain.timefmt import rfc3339
from tests.cli.conftest import User
from tests.cli.test_verify import staff_user


def test_an_admin_adds_a_campaign_and_a_freelancer_sees_it_offline(
    freelancer: User, tmp_path: Path
) -> None:
    admin = staff_user(freelancer, tmp_path, "admin")
    ends = rfc3339(datetime.now(UTC) + timedelta(hours=3, minutes=30)) or ""
    made = admin.ok(
        "admin", "campaign", "add", "--name", "积分翻倍", "--points-multiplier", "2",
        "--ends", ends, "--json",
    ).json()  # fmt: skip
    assert (made["kind"], made["multiplier"]) == ("points_multiplier", 2)
    assert [c["id"] for c in admin.ok("admin", "campaign", "list", "--json").json()] == [made["id"]]

    freelancer.ok("sync")
    shown = freelancer.ok("points", "campaigns", "--json")
    [campaign] = [c for c in shown.json() if c["id"] == made["id"]]
    assert (campaign["running"], campaign["offer"], campaign["urgency"]) == (
        True,
        "points ×2",
        "ends in 3 h",
    )
    plain = freelancer.ok("points", "campaigns").stdout
    assert "积分翻倍\tpoints ×2\tends in 3 h" in plain

    ended = admin.ok("admin", "campaign", "end", made["id"], "--json").json()
    assert ended["ended_by"] is not None
    freelancer.ok("sync")
    assert all(c["id"] != made["id"] for c in freelancer.ok("points", "campaigns", "--json").json())


def test_who_may_and_bad_flags_keep_the_contracts_exit_codes(freelancer: User) -> None:
    ends = rfc3339(datetime.now(UTC) + timedelta(days=1)) or ""
    refused = freelancer.run(
        "admin", "campaign", "add", "--name", "x", "--points-multiplier", "2", "--ends", ends
    )
    assert refused.code == 4 and refused.stderr.startswith("error: ")
    neither = freelancer.run("admin", "campaign", "add", "--name", "x", "--ends", ends)
    assert neither.code == 2 and "--points-multiplier or --fee-discount" in neither.stderr
    too_big = freelancer.run(
        "admin", "campaign", "add", "--name", "x", "--points-multiplier", "50", "--ends", ends
    )
    assert too_big.code == 2
    bad_time = freelancer.run(
        "admin", "campaign", "add", "--name", "x", "--fee-discount", "5", "--ends", "tomorrow"
    )
    assert bad_time.code == 2 and "--ends" in bad_time.stderr
