"""`jiedan server seed --fraud` as an operator runs it, then `jiedan admin queue` on that
database as a reviewer: a reviewer's day of held items of varied rules, each with its reason
and facts, while the honest crowd's actions are seldom held (under HONEST_SHARE)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jiedan_cli.server.db.tables import risk_assessments, risk_holds, users
from jiedan_cli.server.seed import SEED_DOMAIN
from tests.cli.conftest import User, jiedan
from tests.cli.test_verify import staff_user
from tests.sync.conftest import LiveServer

HONEST_SHARE = 0.03  # at most this share of the honest accounts' assessed actions is held
RULES_AT_LEAST = 5


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """A small marketplace seeded with --fraud, served; with the seed's summary line."""
    base = tmp_path_factory.mktemp("fraud")
    url = f"sqlite:///{base / 'market.db'}"
    done = jiedan(
        *("server", "seed", "--orders", "20", "--clients", "4", "--freelancers", "8"),
        *("--fraud", "--database-url", url),
        home=base / "ops",
        server="http://127.0.0.1:9",
        timeout=600,
    )
    assert done.code == 0, str(done)
    (said,) = [line for line in done.stderr.splitlines() if line.startswith("live activity:")]
    server = LiveServer(url)
    yield server, said
    server.stop()


def test_the_review_queue_holds_varied_fraud_with_reasons_and_facts(
    seeded: tuple[LiveServer, str], tmp_path: Path
) -> None:
    server, said = seeded
    anyone = User(server, tmp_path / "nobody", "nobody@example.com")
    reviewer = staff_user(anyone, tmp_path, "reviewer")
    queue = reviewer.ok("admin", "queue", "--json").json()
    held = [item for item in queue if item["kind"] == "hold"]
    assert 20 <= len(held) <= 60, len(held)  # a few dozen: a reviewer's day
    rules = Counter(f["name"] for item in held for f in item["fired"])
    assert len(rules) >= RULES_AT_LEAST, rules
    assert {"linked_counterpart", "night_quick_cancels", "bid_velocity"} <= set(rules)
    actions = {item["action"] for item in held}
    assert {"post", "bid", "award", "withdraw"} <= actions
    for item in held:
        assert item["status"] == "held" and item["reason"].strip()
        assert item["fired"] and all(f["reason"] for f in item["fired"])
        assert item["facts"] and item["user"]["email"].endswith(f"@{SEED_DOMAIN}")
    of_fraud = [item for item in held if item["user"]["email"].startswith("risk")]
    assert f"; {len(of_fraud)} held for review," in said  # what the seed said it made
    plain = reviewer.ok("admin", "queue").stdout  # the table a reviewer reads
    assert "深夜下单立即取消" in plain and "quotes in a minute" in plain


def test_honest_activity_is_seldom_held_and_the_seed_says_how_often(
    seeded: tuple[LiveServer, str],
) -> None:
    server, said = seeded
    with server.db.read() as conn:
        honest = select(users.c.id).where(users.c.email.like(f"live%@{SEED_DOMAIN}"))
        assessed = conn.scalar(
            select(func.count())
            .select_from(risk_assessments)
            .where(risk_assessments.c.user_id.in_(honest))
        )
        held = conn.scalar(
            select(func.count()).select_from(risk_holds).where(risk_holds.c.user_id.in_(honest))
        )
    assert assessed and assessed >= 300  # the honest crowd did a lot
    assert (held or 0) / assessed <= HONEST_SHARE
    found = re.search(r"honest actions held: (\d+) of (\d+)", said)
    assert found is not None, said
    assert (int(found[1]), int(found[2])) == (held, assessed)
