"""What people read shows no internals (issue #10, item 12): `orders show` gives the client's
name and my bid in a line (not a UUID and raw JSON), `client bids` and `messages list` name
the people, statuses read "in progress", `deliver` lists its files as name (size) — in
tables and TSV. The JSON stays exactly as cli.md says (ids, raw statuses, objects)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import User


def tsv_record(text: str) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in text.splitlines())


def name_of(user: User) -> str:
    return str(user.api("GET", "/v1/me")["name"])


def test_people_by_name_and_my_bid_in_a_line(
    client: User, freelancer: User, tmp_path: Path
) -> None:
    order = client.post_order(title="餐厅菜单翻译")
    freelancer.ok("sync")
    bid = freelancer.ok(
        "bid", "create", order["id"], "--amount", "800", "--days", "3", "--json"
    ).json()

    shown = tsv_record(freelancer.ok("orders", "show", order["id"]).stdout)
    assert shown["client"] == name_of(client)
    assert shown["my_bid"] == f"¥800.00 in 3 days · submitted · synced · {bid['id']}"
    assert "{" not in freelancer.ok("orders", "show", order["id"]).stdout
    as_json = freelancer.ok("orders", "show", order["id"], "--json").json()
    assert as_json["client_id"] == client.id and as_json["my_bid"]["id"] == bid["id"]

    freelancer.ok("messages", "send", order["id"], "--text", "请问要翻译成哪几种语言？")
    client.ok("sync")
    rows = client.ok("messages", "list", order["id"]).stdout.splitlines()
    assert len(rows) == 1
    cells = rows[0].split("\t")
    assert cells[2:5] == [
        name_of(freelancer),
        f"{name_of(client)} (me)",
        "请问要翻译成哪几种语言？",
    ]
    assert freelancer.id not in rows[0] and client.id not in rows[0]
    listed = client.ok("messages", "list", order["id"], "--json").json()
    assert (listed[0]["sender_id"], listed[0]["recipient_id"]) == (freelancer.id, client.id)

    bids = client.ok("client", "bids", order["id"]).stdout.splitlines()
    assert bids[0].split("\t")[:4] == [bid["id"], name_of(freelancer), "普通", "800.00"]
    assert client.ok("client", "bids", order["id"], "--json").json()[0]["freelancer_id"] == (
        freelancer.id
    )


def test_statuses_read_as_words_and_files_as_names(
    client: User, freelancer: User, tmp_path: Path
) -> None:
    order = client.post_order(title="宣传册排版")
    freelancer.ok("sync")
    bid = freelancer.ok(
        "bid", "create", order["id"], "--amount", "900", "--days", "4", "--json"
    ).json()
    client.ok("sync")
    client.ok("client", "award", order["id"], bid["id"])
    funded = client.ok("client", "fund", order["id"])
    assert tsv_record(funded.stdout)["status"] == "in progress"
    freelancer.ok("sync")
    shown = tsv_record(freelancer.ok("orders", "show", order["id"]).stdout)
    assert shown["status"] == "in progress"
    assert freelancer.ok("orders", "show", order["id"], "--json").json()["status"] == "in_progress"
    mine = freelancer.ok("orders", "list", "--mine", "--status", "all").stdout
    assert "\tin progress\t" in mine and "in_progress" not in mine

    artwork = tmp_path / "宣传册.pdf"
    artwork.write_bytes(b"%PDF-1.4 " + b"x" * 3000)
    delivered = freelancer.ok("deliver", order["id"], "--note", "终稿", "--file", str(artwork))
    record = tsv_record(delivered.stdout)
    assert record["files"] == "宣传册.pdf (2.9 KB)"
    assert "{" not in delivered.stdout and "'name'" not in delivered.stdout


def test_a_message_sent_names_its_recipient_met_for_the_first_time(
    client: User, freelancer: User
) -> None:
    """Sent online, the answer names the recipient even when the replica had no name for
    them yet (a first question to a client): the profile is fetched, as `messages list`
    does. Offline it stays the id until the next time."""
    order = client.post_order(title="宣传册排版")
    freelancer.ok("sync")
    sent = tsv_record(
        freelancer.ok("messages", "send", order["id"], "--text", "请问有几页？").stdout
    )
    assert sent["recipient"] == name_of(client)
    assert sent["sender"] == f"{name_of(freelancer)} (me)"
