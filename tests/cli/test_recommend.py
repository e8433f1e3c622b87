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


def test_a_new_freelancer_sees_the_newcomer_boost_in_json_and_table(
    client: User, freelancer: User
) -> None:
    small = client.post_order(title="朋友圈文案", budget_min_fen=20_000, budget_max_fen=50_000)
    large = client.post_order(title="品牌全案", budget_min_fen=300_000, budget_max_fen=400_000)
    freelancer.ok("sync")
    found = freelancer.ok("orders", "recommend", "--json").json()
    best = found[0]
    (other,) = [o for o in found if o["id"] == large["id"]]
    assert best["id"] == small["id"] and "newcomer" not in other["reason_points"]
    assert best["reason_points"]["newcomer"] == best["score"] - other["score"]
    (boost,) = [text for text in best["reasons"] if text.startswith("newcomer boost (until ")]
    first_row = freelancer.ok("orders", "recommend").stdout.splitlines()[0]
    assert first_row.split("\t")[1] == small["id"] and boost in first_row.split("\t")[-1]
