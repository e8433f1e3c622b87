"""`jiedan earnings withdraw` past the new-account cap (account_limits, #12) against the real
server: held for review — exit 4 `error: held for review: <the cap>`, nothing paid — then a
reviewer's `admin release` pays it once (the replica's ledger shows one withdrawal) and
`admin block` moves nothing. The server's risk engine holds nothing here (the cap is no
risk rule)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import User
from tests.cli.test_online_holds import available, earned, refused_with
from tests.cli.test_verify import staff_user

CAP_WORDS = "may withdraw at most ¥5000.00 in 24 hours"


def test_a_withdrawal_past_the_cap_is_held_then_released_once_or_blocked(
    client: User, freelancer: User, tmp_path: Path
) -> None:
    earned(client, freelancer, 400_000)  # an unverified freelancer's orders: ¥4,000 each
    earned(client, freelancer, 400_000)
    before = available(freelancer)

    held = freelancer.run("earnings", "withdraw", "--amount", "6000", "--json")
    line = refused_with(held, "error: held for review: an account younger than 30 days ")
    assert CAP_WORDS in line and "not open yet" not in line
    hold = held.json()
    assert (hold["status"], hold["action"]) == ("held", "withdraw")
    assert available(freelancer) == before  # nothing paid while it waits

    reviewer = staff_user(freelancer, tmp_path, "reviewer")
    queue = reviewer.ok("admin", "queue", "--json").json()
    assert hold["id"] in {item["id"] for item in queue}
    released = reviewer.ok("admin", "release", hold["id"], "--json").json()
    assert released["status"] == "released" and released["outcome"]["amount_fen"] == 600_000
    assert reviewer.run("admin", "release", hold["id"]).code == 4  # decided already
    assert available(freelancer) == before - 600_000  # paid once
    freelancer.ok("sync")
    ledger = freelancer.ok("earnings", "ledger", "--json").json()
    assert [e["amount_fen"] for e in ledger if e["kind"] == "withdraw"] == [-600_000]

    # ¥6,000 paid today: even ¥10 more waits for a reviewer, who blocks it
    again = freelancer.run("earnings", "withdraw", "--amount", "10", "--json")
    assert "(¥0.00 left now)" in refused_with(again, "error: held for review: ")
    blocked = reviewer.ok("admin", "block", again.json()["id"], "--reason", "提现异常", "--json")
    assert blocked.json()["status"] == "blocked"
    assert available(freelancer) == before - 600_000
