"""`jiedan client post --tag` takes several tags in one value, split on commas (ASCII or
full-width) or 、 — the parser the dashboard's new-order form uses too (order_rules.split_tags)."""

from __future__ import annotations

from tests.cli.conftest import User
from tests.cli.test_client_flow import post


def test_tags_given_comma_separated_are_posted_one_by_one(client: User) -> None:
    order = post(client, "--tag", "网站，UI设计, logo", "--offline")
    assert order["tags"] == ["logo", "品牌", "网站", "UI设计"]  # the repeat dropped
    client.ok("sync")
    assert client.api("GET", f"/v1/orders/{order['id']}")["tags"] == order["tags"]
