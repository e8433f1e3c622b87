"""What happened to the user since the last look (store/news.py), from pages pulled through
the real apply path: the other side's moves are news, the user's own are not."""

from __future__ import annotations

import sqlite3
from typing import Any

from jiedan_cli.store import actions
from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from jiedan_cli.store.news import NewsItem, Snapshot, news, shorten, snapshot
from tests.store.factories import bid, message, order, page, put, stamp

AVAILABLE = "freelancer:me:available"


def release(entry_id: str, amount_fen: int, order_id: str, kind: str = "release") -> dict[str, Any]:
    return {
        "id": entry_id,
        "transfer_id": entry_id.rsplit(":", 1)[0],
        "order_id": order_id,
        "kind": kind,
        "amount_fen": amount_fen,
        "fee_fen": 0,
        "currency": "CNY",
        "account": AVAILABLE,
        "created_at": stamp(),
    }


def event(event_id: str, order_id: str, kind: str, note: str, actor: str = "client-1") -> Any:
    data = {
        "id": event_id,
        "order_id": order_id,
        "actor_id": actor,
        "kind": kind,
        "note": note,
        "created_at": stamp(),
    }
    return put("order_event", data)


def delivery(delivery_id: str, order_id: str, note: str, freelancer: str = "f-2") -> Any:
    data = {
        "id": delivery_id,
        "order_id": order_id,
        "milestone_id": "m1",
        "freelancer_id": freelancer,
        "note": note,
        "files": [],
        "created_at": stamp(),
    }
    return put("delivery", data)


def pulled(store: sqlite3.Connection, *changes: dict[str, Any]) -> None:
    apply_page(store, page(*changes, cursor=f"e1:{stamp()}"))


def kinds_and_texts(items: list[NewsItem]) -> list[tuple[str, str, str]]:
    return [(item.kind, item.order_id, item.text) for item in items]


def test_my_bid_awarded_and_another_declined_are_news(store: sqlite3.Connection) -> None:
    pulled(
        store,
        put("order", order("o1", "企业官网改版")),
        put("order", order("o2", "小程序开发")),
        put("bid", bid("b1", "o1")),
        put("bid", bid("b2", "o2")),
    )
    before = snapshot(store)
    pulled(
        store,
        put("order", order("o1", "企业官网改版", status="awarded", freelancer_id="me")),
        put("bid", bid("b1", "o1", status="awarded")),
        put("order", order("o2", "小程序开发", status="awarded", freelancer_id="f-2")),
        put("bid", bid("b2", "o2", status="declined")),
    )
    after, items = news(store, before)
    assert kinds_and_texts(items) == [
        (
            "bid_awarded",
            "o1",
            "Your bid on “企业官网改版” was awarded — the client funds escrow next.",
        ),
        ("bid_declined", "o2", "Your bid on “小程序开发” was declined."),
    ]
    assert [item.title for item in items] == ["企业官网改版", "小程序开发"]
    assert news(store, after) == (after, [])  # told once


def test_funding_a_revision_request_and_the_release_of_my_work(store: sqlite3.Connection) -> None:
    working = {"client_id": "client-1", "freelancer_id": "me"}
    pulled(
        store,
        put("order", order("o1", "品牌 LOGO 设计", status="awarded", **working)),
        put("order", order("o2", "公众号文章代写", status="delivered", **working)),
        put("order", order("o3", "英文合同翻译", status="delivered", **working)),
    )
    before = snapshot(store)
    long_note = "颜色再亮一点，字体换成黑体，" * 10
    pulled(
        store,
        put("order", order("o1", "品牌 LOGO 设计", status="in_progress", **working)),
        put("order", order("o2", "公众号文章代写", status="in_progress", **working)),
        event("e1", "o2", "revision_requested", long_note),
        put("order", order("o3", "英文合同翻译", status="completed", **working)),
        put("ledger_entry", release("release:m3a:cr", 120_000, "o3")),
        put("ledger_entry", release("release:m3b:cr", 200_050, "o3")),
    )
    _, items = news(store, before, money=lambda fen: f"{fen} fen")
    assert kinds_and_texts(items) == [
        ("funded", "o1", "“品牌 LOGO 设计” is funded: the money is in escrow, start work."),
        (
            "revision",
            "o2",
            f"The client asked for a revision on “公众号文章代写”: “{shorten(long_note)}”",
        ),
        (
            "released",
            "o3",
            "Your delivery on “英文合同翻译” was accepted: 320050 fen released to you.",
        ),
    ]
    assert len(shorten(long_note)) == 60 and shorten(long_note).endswith("…")


def test_money_is_worded_as_yuan_by_default_and_a_settled_dispute_says_so(
    store: sqlite3.Connection,
) -> None:
    pulled(store, put("order", order("o1", "数据分析", status="disputed", freelancer_id="me")))
    before = snapshot(store)
    pulled(
        store,
        put("order", order("o1", "数据分析", status="completed", freelancer_id="me")),
        put("ledger_entry", release("resolve:m1:cr", 150_000, "o1", kind="resolve")),
    )
    _, items = news(store, before)
    assert [item.text for item in items] == [
        "The dispute on “数据分析” was settled: ¥1500.00 paid to you."
    ]


def test_as_a_client_new_bids_and_a_delivery_on_my_orders_are_news(
    store: sqlite3.Connection,
) -> None:
    mine = {"client_id": "me"}
    pulled(
        store,
        put("order", order("o1", "电商详情页设计", **mine)),
        put("order", order("o2", "企业网站", status="in_progress", freelancer_id="f-2", **mine)),
        put("order", order("o3", "别人的订单", client_id="client-9")),
    )
    before = snapshot(store)
    pulled(
        store,
        put("bid", bid("b1", "o1", "f-7", amount_fen=280_000, days=7)),
        put("bid", bid("b2", "o1", "f-8", status="withdrawn")),  # gone again before we looked
        put("bid", bid("b3", "o3", "f-7")),  # not my order: the replica holds it only if public
        put("order", order("o2", "企业网站", status="delivered", freelancer_id="f-2", **mine)),
        delivery("d1", "o2", "首页和三个内页，已上线测试环境"),
    )
    _, items = news(store, before)
    assert kinds_and_texts(items) == [
        (
            "delivered",
            "o2",
            "A delivery arrived on “企业网站”: “首页和三个内页，已上线测试环境”"
            " — accept it or ask for a revision.",
        ),
        ("new_bid", "o1", "New bid on “电商详情页设计”: ¥2800.00 in 7 days."),
    ]


def test_messages_to_me_are_news_and_mine_are_not(store: sqlite3.Connection) -> None:
    pulled(store, put("order", order("o1", "视频剪辑", status="in_progress", freelancer_id="me")))
    before = snapshot(store)
    pulled(
        store,
        put("message", message("m1", "o1", "素材已经上传到网盘了\n请查收")),
        put("message", message("m2", "o1", "收到", sender_id="me", recipient_id="client-1")),
        put("message", message("m3", "o9", "hello")),  # an order the replica does not hold
    )
    _, items = news(store, before)
    assert kinds_and_texts(items) == [
        ("message", "o1", "Message on “视频剪辑”: “素材已经上传到网盘了 请查收”"),
        ("message", "o9", "Message on order o9: “hello”"),
    ]
    assert items[1].title == ""


def test_my_own_queued_actions_are_not_news(store: sqlite3.Connection) -> None:
    """Queued moves show in the overlay at once, but news reads the server copy: the user's
    own award, message, bid or delivery is not news, queued or after the server took it."""
    pulled(
        store,
        put("order", order("o1", "宣传册设计", client_id="me")),
        put("bid", bid("b1", "o1", "f-2")),
        put("order", order("o2", "网页切图")),
        put("order", order("o3", "接口联调", status="in_progress", freelancer_id="me")),
    )
    before = snapshot(store)
    actions.award(store, order_id="o1", bid_id="b1")
    actions.send_message(store, order_id="o1", text="合作愉快", to="f-2")
    actions.place_bid(store, order_id="o2", amount_fen=90_000, days=3)
    actions.deliver(store, order_id="o3", note="联调完成", files=[])
    after, items = news(store, before)
    assert items == []
    pulled(  # the server took them: what it tells back is still not news
        store,
        put(
            "order",
            order("o1", "宣传册设计", client_id="me", status="awarded", freelancer_id="f-2"),
        ),
        put("bid", bid("b1", "o1", "f-2", status="awarded")),
        put("message", message("m1", "o1", "合作愉快", sender_id="me", recipient_id="f-2")),
        put("bid", bid("b9", "o2", "me")),
        put("order", order("o3", "接口联调", status="delivered", freelancer_id="me")),
        delivery("d1", "o3", "联调完成", freelancer="me"),
    )
    assert news(store, after)[1] == []


def test_a_replica_filling_up_is_not_news(store: sqlite3.Connection) -> None:
    """Before the first pull, or for another user, the snapshot is no baseline."""
    first = snapshot(store)
    assert first == Snapshot(user_id="me", pulled=False)
    pulled(
        store,
        put("order", order("o1", "旧订单", status="in_progress", freelancer_id="me")),
        put("message", message("m1", "o1", "很早以前的消息")),
    )
    after, items = news(store, first)
    assert items == [] and after.pulled and after.messages_to_me == {"m1"}
    someone_else = Snapshot(user_id="someone-else", pulled=True)
    assert news(store, someone_else)[1] == []


def test_nothing_changed_is_no_news_and_signed_out_is_empty(
    store: sqlite3.Connection, tmp_path: Any
) -> None:
    pulled(store, put("order", order("o1", client_id="me")), put("bid", bid("b1", "o1", "f-2")))
    before = snapshot(store)
    pulled(store)  # an empty page: nothing for me
    assert news(store, before) == (before, [])
    fresh = open_db(tmp_path / "signed-out.db")
    try:
        assert snapshot(fresh) == Snapshot()
        assert news(fresh, Snapshot()) == (Snapshot(), [])
    finally:
        fresh.close()


def coupon(order_id: str, status: str = "applied", **fields: Any) -> dict[str, Any]:
    data = {
        "id": "me",
        "order_id": order_id,
        "milestone_id": "m1",
        "amount_fen": 1_000 if status == "applied" else 0,
        "currency": "CNY",
        "status": status,
        "reason": None,
        "created_at": stamp(),
        **fields,
    }
    return put("first_order_coupon", data)


def test_the_first_order_coupon_on_my_first_payment_is_news_once(
    store: sqlite3.Connection,
) -> None:
    pulled(store, put("order", order("o1", "企业网站", client_id="me", status="awarded")))
    before = snapshot(store)
    pulled(store, put("order", order("o1", "企业网站", client_id="me", status="in_progress")))
    pulled(store, coupon("o1"))
    after, items = news(store, before)
    assert kinds_and_texts(items) == [
        ("first_order_coupon", "o1", "首单券: the platform paid ¥10.00 of your first payment"
         " for “企业网站”."),
    ]  # fmt: skip
    assert news(store, after)[1] == []  # told once


def test_a_withheld_coupon_says_why(store: sqlite3.Connection) -> None:
    pulled(store, put("order", order("o1", "logo", client_id="me")))
    before = snapshot(store)
    pulled(store, coupon("o1", "withheld", reason="this install was used by another account"))
    _, items = news(store, before)
    assert [item.text for item in items] == [
        "首单券: no first-order coupon on “logo”: this install was used by another account."
    ]
