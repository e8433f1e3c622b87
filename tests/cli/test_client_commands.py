"""The rest of the client side from the command line: posting offline and when the server is
down (exit 0, "pending", sent by the next sync), revise, cancel, disputes, profiles, and the
plain tab-separated output scripts get when stdout is not a terminal."""

from __future__ import annotations

import pytest

from tests.cli.conftest import User, closed_port_url, jiedan
from tests.cli.test_client_flow import complete_order, post


def awarded_and_funded(client: User, freelancer: User) -> dict[str, str]:
    order = post(client)
    freelancer.ok("sync")
    bid = freelancer.ok("bid", "create", order["id"], "--amount", "600", "--days", "2", "--json")
    client.ok("sync")
    client.ok("client", "award", order["id"], bid.json()["id"])
    return dict(client.ok("client", "fund", order["id"], "--json").json())


def test_a_post_made_offline_is_pending_until_the_next_sync(client: User) -> None:
    order = post(client, "--offline", "--deadline", "2099-12-31")
    assert (order["status"], order["sync_state"]) == ("open", "pending")
    assert order["deadline"] == "2099-12-31"
    assert client.ok("sync", "--json").json()["pushed"] == 1
    shown = client.ok("orders", "show", order["id"], "--json").json()
    assert (shown["sync_state"], shown["client_id"]) == ("synced", client.id)
    assert client.api("GET", f"/v1/orders/{order['id']}")["title"] == order["title"]


def test_post_takes_the_chinese_category_name(client: User) -> None:
    posted = client.ok(
        *("client", "post", "--title", "咖啡店标志", "--description", "简洁的标志"),
        *("--category", "设计", "--budget-min", "500", "--budget-max", "900", "--json"),
    ).json()
    assert posted["category"] == "design"
    refused = client.run(
        *("client", "post", "--title", "x", "--description", "y", "--category", "网站设计"),
        *("--budget-min", "500", "--budget-max", "900"),
    )
    assert refused.code == 2 and "choose from design (设计)" in refused.stderr, str(refused)


def test_a_post_while_the_server_is_down_exits_0_and_is_kept(client: User) -> None:
    done = jiedan(
        *("client", "post", "--title", "家电维修", "--description", "洗衣机不排水"),
        *("--category", "repair", "--budget-min", "100", "--budget-max", "300", "--json"),
        home=client.home,
        server=closed_port_url(),
        env={"JIEDAN_TOKEN": client.token},
    )
    assert done.code == 0, str(done)
    order = done.json()
    assert order["sync_state"] == "pending" and "queued" in done.stderr
    report = client.ok("sync", "--json").json()
    assert (report["pushed"], report["rejected"], report["pending"]) == (1, 0, 0)
    assert client.ok("orders", "show", order["id"], "--json").json()["sync_state"] == "synced"


def test_revise_sends_a_delivery_back_and_cancel_ends_an_open_order(
    client: User, freelancer: User
) -> None:
    order = awarded_and_funded(client, freelancer)
    freelancer.ok("sync")
    freelancer.ok("deliver", order["id"], "--note", "第一版")
    client.ok("sync")
    revised = client.ok("client", "revise", order["id"], "--note", "颜色再亮一点", "--json")
    assert revised.json()["status"] == "in_progress"

    other = post(client)
    cancelled = client.ok("client", "cancel", other["id"], "--json").json()
    assert (cancelled["status"], cancelled["sync_state"]) == ("cancelled", "synced")
    again = client.run("client", "cancel", other["id"])
    assert again.code == 4 and again.stderr.startswith("error: ")


def test_either_side_opens_a_dispute_on_work_in_progress(client: User, freelancer: User) -> None:
    order = awarded_and_funded(client, freelancer)
    freelancer.ok("sync")
    disputed = freelancer.ok(
        "dispute", "open", order["id"], "--reason", "客户要求超出范围", "--json"
    ).json()
    assert (disputed["status"], disputed["sync_state"]) == ("disputed", "synced")
    # money stays in escrow meanwhile
    assert freelancer.ok("earnings", "summary", "--json").json()["pending_fen"] == 60_000


def test_profile_set_then_show_own_and_another(client: User, freelancer: User) -> None:
    mine = freelancer.ok(
        *("profile", "set", "--skills", "logo, 品牌设计", "--bio", "十年经验"),
        *("--city", "杭州", "--location", "30.27,120.15", "--hourly-rate", "250.5", "--json"),
    ).json()
    assert mine["skills"] == ["logo", "品牌设计"]
    assert (mine["hourly_rate_fen"], mine["lat"], mine["lon"]) == (25_050, 30.27, 120.15)
    shown = freelancer.ok("profile", "show", "--json").json()
    assert shown == mine  # read back from the replica the sync filled
    public = client.ok("profile", "show", freelancer.id, "--json").json()
    assert public["city"] == "杭州" and "lat" not in public  # the location is the owner's

    assert freelancer.run("profile", "set").code == 2
    assert freelancer.run("profile", "set", "--location", "north").code == 2
    assert freelancer.run("profile", "show", "00000000-0000-7000-8000-000000000000").code == 3


@pytest.mark.subprocess(reason="smoke: the real process")
def test_without_a_terminal_output_is_tab_separated(client: User, freelancer: User) -> None:
    order = complete_order(client, freelancer, "800")
    summary = freelancer.ok("earnings", "summary").stdout.splitlines()
    assert summary == [
        "available\t800.00",
        "pending\t0.00",
        "lifetime\t800.00",
        "fees\t0.00",
        "currency\tCNY",
    ]
    [line] = freelancer.ok("earnings", "ledger").stdout.splitlines()
    assert line.split("\t")[1:5] == ["release", "800.00", "", order["id"]]
    history = freelancer.ok("points", "history").stdout.splitlines()
    assert history and all(len(row.split("\t")) == 5 for row in history)
    [bid_row] = client.ok("client", "bids", order["id"]).stdout.splitlines()
    assert "\t800.00\t" in bid_row and "\x1b[" not in bid_row
