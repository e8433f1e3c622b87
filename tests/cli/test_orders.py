"""`jiedan orders list|search|show`: the local replica through the command line — one JSON
document with --json, TSV when stdout is not a terminal, every filter flag, exit 2 and 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import User, closed_port_url, jiedan, new_user
from tests.sync.conftest import LiveServer

SHANGHAI = {"lat": 31.2304, "lon": 121.4737, "radius_km": 10}
BEIJING = {"lat": 39.9042, "lon": 116.4074, "radius_km": 10}


@pytest.fixture(scope="module")
def market(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four orders posted by a client, synced into a freelancer's replica ("reader"), who
    only reads. (Tests that change anything use their own users.)"""
    base = tmp_path_factory.mktemp("market")
    client = new_user(live_server, base, "client")
    reader = new_user(live_server, base, "freelancer")
    orders: dict[str, Any] = {
        "site": client.post_order(title="企业官网开发", tags=["网站"], location=SHANGHAI),
        "logo": client.post_order(
            title="咖啡店Logo设计",
            category="design",
            tags=["Logo"],
            budget_min_fen=50_000,
            budget_max_fen=90_000,
            location=BEIJING,
        ),
        "app": client.post_order(
            title="Mobile app for a bakery",
            description="iOS and Android ordering app",
            tags=["app"],
            budget_min_fen=1_000_000,
            budget_max_fen=2_000_000,
        ),
        "gone": client.post_order(title="已取消的网站"),
    }
    client.api("POST", f"/v1/orders/{orders['gone']['id']}/cancel")
    reader.ok("sync")
    client.ok("sync")
    return {**orders, "reader": reader, "client": client}


@pytest.fixture
def freelancer(market: dict[str, Any]) -> User:
    reader: User = market["reader"]
    return reader


def ids(run: Any) -> list[str]:
    return [order["id"] for order in run.json()]


def test_list_json_is_one_document_with_the_contract_fields(
    freelancer: User, market: dict[str, Any]
) -> None:
    listed = freelancer.ok("orders", "list", "--json")
    orders = listed.json()  # json.loads: exactly one document, nothing else on stdout
    assert isinstance(orders, list)
    assert set(ids(listed)) == {market[k]["id"] for k in ("site", "logo", "app")}
    for order in orders:
        for field in (
            "id",
            "title",
            "description",
            "category",
            "tags",
            "budget_min_fen",
            "budget_max_fen",
            "currency",
            "status",
            "client_id",
            "created_at",
            "deadline",
            "bid_count",
            "awarded_bid_id",
            "my_bid",
            "sync_state",
        ):
            assert field in order, field
        assert order["currency"] == "CNY" and order["status"] == "open"
        assert isinstance(order["tags"], list) and isinstance(order["budget_min_fen"], int)
    # newest first
    assert ids(listed) == [market["app"]["id"], market["logo"]["id"], market["site"]["id"]]


@pytest.mark.subprocess(reason="smoke: the real process")
def test_list_without_a_terminal_prints_tab_separated_rows(
    freelancer: User, market: dict[str, Any]
) -> None:
    rows = freelancer.ok("orders", "list").stdout.splitlines()
    assert len(rows) == 3
    cells = [row.split("\t") for row in rows]
    assert all(len(c) == len(cells[0]) > 3 for c in cells)
    assert cells[0][0] == market["app"]["id"]
    assert "\x1b[" not in "".join(rows)  # no colour codes
    assert "10000.00–20000.00" in rows[0]  # budgets shown in yuan


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (("--category", "design"), ["logo"]),
        (("--category", "设计"), ["logo"]),  # the label the dashboard shows
        (("--category", "Design"), ["logo"]),
        (("--category", "设计创意"), ["logo"]),  # the seed's group name
        (("--tag", "LOGO"), ["logo"]),
        (("--budget-min", "5000"), ["app"]),
        (("--budget-max", "900.50"), ["logo"]),
        (("--budget-min", "1000", "--budget-max", "3000"), ["site"]),
        (("--near", "31.23,121.47", "--radius-km", "20"), ["site"]),
        (("--near", "39.9,116.4"), ["logo"]),
        (("--city", "上海"), ["site"]),
        (("--city", "Beijing", "--radius", "5"), ["logo"]),
        (("--city", "北京市", "--radius-km", "5"), ["logo"]),
        (("--limit", "1"), ["app"]),
    ],
)
def test_list_filters(
    freelancer: User, market: dict[str, Any], flags: tuple[str, ...], expected: list[str]
) -> None:
    got = ids(freelancer.ok("orders", "list", *flags, "--json"))
    assert got == [market[name]["id"] for name in expected]


def test_status_filter_on_the_clients_replica(market: dict[str, Any]) -> None:
    # a cancelled order stays visible to its client only
    client: User = market["client"]
    assert ids(client.ok("orders", "list", "--status", "cancelled", "--json")) == [
        market["gone"]["id"]
    ]
    assert ids(client.ok("orders", "list", "--status", "all", "--limit", "2", "--json")) == [
        market["gone"]["id"],
        market["app"]["id"],
    ]
    assert ids(client.ok("orders", "list", "--mine", "--json")) == [
        market[k]["id"] for k in ("app", "logo", "site")
    ]
    assert market["reader"].ok("orders", "list", "--status", "cancelled", "--json").json() == []


def test_list_mine_is_what_i_bid_on(
    live_server: LiveServer, market: dict[str, Any], tmp_path: Path
) -> None:
    bidder = new_user(live_server, tmp_path, "freelancer")
    assert ids(bidder.ok("orders", "list", "--mine", "--json")) == []
    bidder.ok("bid", "create", market["logo"]["id"], "--amount", "800", "--days", "3")
    mine = bidder.ok("orders", "list", "--mine", "--json").json()
    assert [o["id"] for o in mine] == [market["logo"]["id"]]
    assert mine[0]["my_bid"]["amount_fen"] == 80_000


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (("--category", "desgin"), "did you mean design?"),
        (("--category", "bogus"), "choose from design (设计), development (开发)"),
        (("--status", "bogus"), "not one of open, awarded"),
    ],
)
def test_an_unknown_category_or_status_is_exit_2_naming_the_choices(
    freelancer: User, flags: tuple[str, ...], says: str
) -> None:
    """Once an empty list with exit 0: a typo looked like a market with no such orders."""
    done = freelancer.run("orders", "list", *flags, "--json")
    assert (done.code, done.stdout) == (2, ""), str(done)
    assert says in done.stderr and done.stderr.count("\n") == 1


def test_categories_lists_names_labels_and_synonyms(freelancer: User) -> None:
    listed = freelancer.ok("orders", "categories", "--json").json()
    design = next(row for row in listed if row["category"] == "design")
    assert design["label"] == "设计" and "设计创意" in design["also"]
    assert "网站建设" in next(r for r in listed if r["category"] == "development")["also"]
    assert "(设计)" in freelancer.ok("orders", "list", "--help").stdout


@pytest.mark.parametrize("amount", ["1.234", "-5", "0", "abc"])
def test_a_bad_budget_is_a_usage_error(freelancer: User, amount: str) -> None:
    done = freelancer.run("orders", "list", "--budget-min", amount, "--json")
    assert done.code == 2, str(done)
    assert done.stdout == ""


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "10001"])
@pytest.mark.parametrize("command", [("list",), ("search", "网站"), ("recommend",)])
def test_a_bad_limit_is_a_one_line_usage_error(
    freelancer: User, command: tuple[str, ...], limit: str
) -> None:
    # the cold path's own coercion once skipped the option's parser: -1 listed every order,
    # 0 said "no orders match", abc drew Click's boxed message
    done = freelancer.run("orders", *command, "--limit", limit, "--json")
    assert done.code == 2 and done.stdout == "", str(done)
    assert done.stderr == "error: limit: a whole number from 1 to 10000\n"


def test_a_full_width_limit_is_a_number(freelancer: User) -> None:
    assert len(freelancer.ok("orders", "list", "--limit", "２", "--json").json()) == 2


def test_radius_without_near_is_a_usage_error(freelancer: User) -> None:
    assert freelancer.run("orders", "list", "--radius-km", "5").code == 2
    assert freelancer.run("orders", "list", "--near", "north").code == 2


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (("--city", "atlantis"), "error: --city: unknown city 'atlantis' (known: 北京、上海"),
        (("--city", "上海", "--near", "31,121"), "error: --near and --city: give one of them"),
        (("--radius", "5"), "error: --radius-km needs --near LAT,LON or --city NAME"),
        (("--near", "91,0"), "error: --near: '91,0' is not a place on Earth"),
    ],
)
def test_bad_places_are_one_line_usage_errors(
    freelancer: User, flags: tuple[str, ...], said: str
) -> None:
    done = freelancer.run("orders", "list", *flags, "--json")
    assert done.code == 2 and done.stdout == ""
    assert done.stderr.startswith(said) and done.stderr.count("\n") == 1, done.stderr


def test_search_chinese_and_english(freelancer: User, market: dict[str, Any]) -> None:
    assert ids(freelancer.ok("orders", "search", "官网开发", "--json")) == [market["site"]["id"]]
    assert ids(freelancer.ok("orders", "search", "bakery app", "--json")) == [market["app"]["id"]]
    assert freelancer.ok("orders", "search", "没有这个词", "--json").json() == []


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_is_a_usage_error(freelancer: User, query: str) -> None:
    # it said "no orders match this search", exit 0
    done = freelancer.run("orders", "search", query, "--json")
    assert done.code == 2 and done.stdout == "", str(done)
    assert done.stderr == "error: give words to search for (`jiedan orders list` lists all)\n"


def test_search_understands_and_shows_why(freelancer: User, market: dict[str, Any]) -> None:
    # Every order of the fixture says 官网 in its description; the site has it in its title.
    found = freelancer.ok("orders", "search", "需要做个企業網站", "--json").json()
    assert found[0]["id"] == market["site"]["id"]
    assert set(found[0]["matched"]) == {"官网", "网站"}
    assert [o["score"] for o in found] == sorted((o["score"] for o in found), reverse=True)
    first = freelancer.ok("orders", "search", "官网开发").stdout.splitlines()[0].split("\t")
    assert first[0] == market["site"]["id"] and first[-1] == "官网,网站,开发"  # 网站: its tag
    assert float(first[-2]) >= 0


def test_show_an_order_and_an_unknown_one(freelancer: User, market: dict[str, Any]) -> None:
    shown = freelancer.ok("orders", "show", market["site"]["id"], "--json").json()
    assert shown["title"] == "企业官网开发" and shown["my_bid"] is None
    record = freelancer.ok("orders", "show", market["site"]["id"]).stdout
    assert f"id\t{market['site']['id']}\n" in record
    missing = freelancer.run("orders", "show", "00000000-0000-7000-8000-000000000000", "--json")
    assert missing.code == 3
    assert missing.stdout == "" and missing.stderr.startswith("error: no order")


@pytest.mark.subprocess(reason="smoke: the real process")
def test_reads_need_no_server(freelancer: User, market: dict[str, Any]) -> None:
    offline = User(freelancer.server, freelancer.home, freelancer.email)
    done = jiedan("orders", "list", "--json", home=offline.home, server=closed_port_url())
    assert done.code == 0 and len(done.json()) == 3
