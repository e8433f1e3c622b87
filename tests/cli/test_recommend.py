"""`jiedan orders recommend` against the real server's market, read offline from the replica:
the order matching the freelancer's skills first, each with its score and reasons."""

from __future__ import annotations

from tests.cli.conftest import User


def test_the_order_matching_my_skills_comes_first(client: User, freelancer: User) -> None:
    freelancer.ok("profile", "set", "--skills", "Flutter, 小程序")
    match = client.post_order(title="Flutter 外卖 App", category="development", tags=["App"])
    client.post_order(title="公司年会主持", category="consulting", tags=["活动"])
    freelancer.ok("sync")
    found = freelancer.unreachable("orders", "recommend", "--limit", "2", "--json")
    assert found.code == 0, str(found)  # no network needed: the replica answers
    best, *_ = found.json()
    assert best["id"] == match["id"] and best["reasons"][0] == "matches your skill Flutter"
    assert best["score"] > found.json()[1]["score"]
    rows = freelancer.ok("orders", "recommend").stdout.splitlines()
    assert rows[0].split("\t")[:2] == [str(best["score"]), match["id"]]
