"""Dispute-risk warnings (纠纷预警) on the command line: `warning: …` lines on stderr and a
`warnings` list added to the --json object of client post, bid create and client award —
each fires where its facts say so and not otherwise; the move is made either way."""

from __future__ import annotations

from tests.cli.conftest import User, funded_order


def codes(done: object) -> list[str]:
    return [warning["code"] for warning in done.json()["warnings"]]  # type: ignore[attr-defined]


def test_a_vague_order_without_a_deadline_is_posted_with_warnings(client: User) -> None:
    done = client.ok(
        *("client", "post", "--title", "做个网站", "--description", "做个网站"),
        *("--category", "development", "--budget-min", "500", "--budget-max", "900", "--json"),
    )
    assert codes(done) == ["vague_description", "no_deadline"]
    assert done.json()["sync_state"] == "synced"  # warned, not refused
    assert "warning: the description says little (4 characters)" in done.stderr
    assert "warning: no deadline" in done.stderr


def test_a_clear_order_with_a_deadline_is_posted_quietly(client: User) -> None:
    done = client.ok(
        *(
            "client",
            "post",
            "--title",
            "企业官网",
            "--description",
            "企业官网首页改版，五个页面，含设计稿与响应式前端",
        ),
        *("--category", "development", "--budget-min", "3000", "--budget-max", "5000"),
        *("--deadline", "2099-01-31", "--json"),
    )
    assert codes(done) == [] and "warning:" not in done.stderr


def test_the_risks_of_a_draft_are_said_once(client: User) -> None:
    """With --from-text the risks are said under the draft, before it is confirmed; the
    posting does not say them again (it did: each risk twice)."""
    done = client.ok(
        "client", "post", "--from-text", "想要一个清新风格的logo，预算500", "--yes", "--json"
    )
    assert "no_deadline" in codes(done)
    assert "risks (纠纷预警)" in done.stderr
    assert done.stderr.count("no deadline: without one") == 1, done.stderr


def test_a_rushed_cheap_bid_is_placed_with_warnings(client: User, freelancer: User) -> None:
    order = client.post_order()  # development, ¥2,000–4,000
    freelancer.ok("sync")
    done = freelancer.ok(
        "bid", "create", order["id"], "--amount", "900", "--days", "3", "--offline", "--json"
    )
    assert codes(done) == ["days_too_few", "amount_far_below_budget"]
    assert "warning: 3 days is under half a typical 开发 order (14 days)" in done.stderr
    assert done.json()["sync_state"] == "pending"
    fair = freelancer.ok(
        "bid", "update", done.json()["id"], "--amount", "2500", "--days", "10", "--json"
    )
    assert "warnings" not in fair.json()  # bid update: cli.md's object as it was


def test_award_warns_of_a_new_unverified_freelancer_for_a_large_order(
    client: User, freelancer: User
) -> None:
    order = client.post_order()
    freelancer.ok("sync")
    bid = freelancer.ok(
        "bid", "create", order["id"], "--amount", "3000", "--days", "10", "--json"
    ).json()
    client.ok("sync")
    done = client.ok("client", "award", order["id"], bid["id"], "--json")
    assert done.json()["status"] == "awarded"
    assert codes(done) == ["new_unverified_large_order"]
    assert "not real-name verified, for ¥3000.00" in done.stderr


def test_award_warns_of_a_freelancer_with_disputes_and_not_otherwise(
    client: User, freelancer: User, make_user: object
) -> None:
    disputed = funded_order(client, freelancer)
    client.api("POST", f"/v1/orders/{disputed['id']}/dispute", reason="交付不完整")
    order = client.post_order()
    freelancer.ok("sync")
    small = freelancer.ok(
        "bid", "create", order["id"], "--amount", "1999", "--days", "10", "--json"
    ).json()
    client.ok("sync")
    done = client.ok("client", "award", order["id"], small["id"], "--json")
    assert codes(done) == ["freelancer_has_disputes"]  # under ¥2,000: not a large order
    assert "has had 1 dispute(s)" in done.stderr

    other = make_user("freelancer")  # type: ignore[operator]
    second = client.post_order()
    other.ok("sync")
    quiet = other.ok("bid", "create", second["id"], "--amount", "1500", "--days", "10", "--json")
    client.ok("sync")
    done = client.ok("client", "award", second["id"], quiet.json()["id"], "--json")
    assert codes(done) == [] and "warning:" not in done.stderr
