"""A fixed little marketplace, written into a replica through the real pull path
(store.apply.apply_page) with fixed times, so every screen draws the same every run.

The user is "me" (freelancer and client) in Shanghai. Orders o01…o12 are open; I bid on
o02 (submitted) and o05 (awarded: it is in progress, its milestone funded); o20 and o21
are mine as a client (o20 open with two bids, o21 delivered)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jiedan_cli.store.apply import apply_page
from jiedan_cli.store.db import open_db
from tests.store.factories import bid, message, order, page, put

SYNCED_AT = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
ME = "me"

OPEN_ORDERS: list[tuple[str, str, str, int, int, str | None]] = [
    # id, title, category, budget min/max (yuan), deadline
    ("o01", "企业官网网站建设（响应式）", "development", 3000, 8000, "2026-04-30"),
    ("o02", "微信小程序商城开发", "development", 8000, 15000, "2026-05-15"),
    ("o03", "品牌 LOGO 设计", "design", 800, 2000, None),
    ("o04", "英文合同翻译（约 5000 词）", "translation", 1500, 2500, "2026-03-28"),
    ("o05", "电商详情页设计", "design", 1200, 3000, None),
    ("o06", "公众号文章代写", "writing", 300, 600, None),
    ("o07", "家电上门维修（浦东）", "repair", 200, 500, "2026-03-22"),
    ("o08", "Python 数据分析报告", "development", 2000, 5000, None),
    ("o09", "高中数学家教", "tutoring", 150, 300, None),
    ("o10", "网站 SEO 优化咨询", "consulting", 1000, 3000, None),
    ("o11", "室内设计效果图", "design", 2500, 6000, "2026-06-01"),
    ("o12", "Flutter APP 开发", "development", 20000, 50000, None),
]
LOCATED = {"o07": {"lat": 31.22, "lon": 121.54}, "o09": {"lat": 31.30, "lon": 121.50}}


def at(day: int, hour: int = 10, minute: int = 0) -> str:
    return f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:00Z"


def _orders() -> list[dict[str, Any]]:
    made = []
    for n, (oid, title, category, low, high, deadline) in enumerate(OPEN_ORDERS):
        made.append(
            order(
                oid,
                title,
                description=f"{title}：需求详见附件，预算可谈，请附上作品集。",
                category=category,
                tags=[category],
                budget_min_fen=low * 100,
                budget_max_fen=high * 100,
                deadline=deadline,
                created_at=at(1 + n, 9 + n % 8),
                bid_count=n % 4,
                location=LOCATED.get(oid),
            )
        )
    awarded = made[4]
    awarded.update(status="in_progress", freelancer_id=ME, awarded_bid_id="b2", bid_count=3)
    made.append(
        order(
            "o20",
            "家庭相册整理与扫描",
            description="约 300 张老照片扫描并整理成电子相册。",
            category="other",
            client_id=ME,
            budget_min_fen=50_000,
            budget_max_fen=100_000,
            created_at=at(15),
            bid_count=2,
        )
    )
    made.append(
        order(
            "o21",
            "个人简历排版",
            category="writing",
            client_id=ME,
            status="delivered",
            freelancer_id="f-3",
            awarded_bid_id="b21",
            budget_min_fen=20_000,
            budget_max_fen=40_000,
            created_at=at(10),
            bid_count=1,
        )
    )
    return made


def _ledger() -> list[dict[str, Any]]:
    account = f"freelancer:{ME}:available"

    def entry(n: int, kind: str, amount: int, fee: int, when: str, oid: str) -> dict[str, Any]:
        return {
            "id": f"t{n}:cr" if amount > 0 else f"t{n}:dr",
            "transfer_id": f"t{n}",
            "order_id": oid,
            "kind": kind,
            "amount_fen": amount,
            "fee_fen": fee,
            "currency": "CNY",
            "account": account,
            "created_at": when,
        }

    return [
        entry(1, "release", 270_000, 30_000, "2026-01-12T08:00:00Z", "old1"),
        entry(2, "release", 450_000, 50_000, "2026-02-03T08:00:00Z", "old2"),
        entry(3, "release", 180_000, 20_000, "2026-02-20T08:00:00Z", "old3"),
        entry(4, "withdraw", -300_000, 0, "2026-02-25T08:00:00Z", "old3"),
        entry(5, "release", 360_000, 40_000, "2026-03-10T08:00:00Z", "old4"),
    ]


def _points() -> list[dict[str, Any]]:
    return [
        {
            "id": "p1",
            "amount": 300,
            "kind": "completion",
            "order_id": "old1",
            "created_at": "2026-01-12T08:00:00Z",
        },
        {
            "id": "p2",
            "amount": 500,
            "kind": "completion",
            "order_id": "old2",
            "created_at": "2026-02-03T08:00:00Z",
        },
        {
            "id": "p3",
            "amount": 10,
            "kind": "review",
            "order_id": "old2",
            "created_at": "2026-02-05T08:00:00Z",
        },
        {
            "id": "p4",
            "amount": 400,
            "kind": "completion",
            "order_id": "old4",
            "created_at": "2026-03-10T08:00:00Z",
        },
    ]


def changes() -> list[dict[str, Any]]:
    found = [put("order", o) for o in _orders()]
    found += [
        put(
            "bid",
            bid(
                "b1",
                "o02",
                ME,
                amount_fen=1_200_000,
                days=20,
                message="做过三个商城",
                created_at=at(3, 12),
            ),
        ),
        put(
            "bid",
            bid(
                "b2", "o05", ME, amount_fen=250_000, days=7, status="awarded", created_at=at(5, 14)
            ),
        ),
        put(
            "bid",
            bid(
                "b3", "o03", ME, amount_fen=150_000, days=5, status="declined", created_at=at(4, 8)
            ),
        ),
        put(
            "bid",
            bid(
                "b20a",
                "o20",
                "f-1",
                amount_fen=60_000,
                days=4,
                message="可上门取件",
                created_at=at(16),
            ),
        ),
        put(
            "bid",
            bid(
                "b20b",
                "o20",
                "f-2",
                amount_fen=85_000,
                days=3,
                message="专业扫描仪",
                created_at=at(17),
            ),
        ),
        put(
            "bid",
            bid(
                "b21", "o21", "f-3", amount_fen=30_000, days=2, status="awarded", created_at=at(11)
            ),
        ),
        put(
            "message",
            message(
                "m1",
                "o02",
                "你好，请问后台需要哪些功能？",
                sender_id=ME,
                recipient_id="client-1",
                created_at=at(3, 13),
            ),
        ),
        put("message", message("m2", "o02", "商品管理、订单和优惠券。", created_at=at(3, 15))),
        put(
            "milestone",
            {
                "id": "ms5",
                "order_id": "o05",
                "position": 1,
                "title": "全部交付",
                "amount_fen": 250_000,
                "currency": "CNY",
                "status": "funded",
                "funded_at": at(6),
                "submitted_at": None,
                "settled_at": None,
                "created_at": at(6),
                "updated_at": at(6),
            },
        ),
        put(
            "milestone",
            {  # o21's, delivered: what my acceptance releases
                "id": "ms21",
                "order_id": "o21",
                "position": 1,
                "title": "全部交付",
                "amount_fen": 30_000,
                "currency": "CNY",
                "status": "submitted",
                "funded_at": at(12),
                "submitted_at": at(16),
                "settled_at": None,
                "created_at": at(12),
                "updated_at": at(16),
            },
        ),
        _profile(ME, "小王", lat=31.23, lon=121.47),
        _profile("client-1", "李老板", rating={"count": 12, "average": 4.6}),
        _profile("f-1", "张师傅", rating={"count": 23, "average": 4.8}),  # f-2, f-3: no profile
    ]
    found += [put("ledger_entry", e) for e in _ledger()]
    found += [put("points_entry", e) for e in _points()]
    found += _work_of_mine()
    return found


def _work_of_mine() -> list[dict[str, Any]]:
    """Orders awarded to me that are no longer open (so the board is unchanged): o30 in
    progress, sent back by the client for a revision; old2 completed and reviewed both ways
    (the points entry p3); old4 completed (ledger t5) and not reviewed by me yet."""

    def milestone(oid: str, title: str, fen: int, status: str, **times: str) -> dict[str, Any]:
        stamps = {"funded_at": None, "submitted_at": None, "settled_at": None, **times}
        created = times.get("funded_at") or at(1)
        return {
            "id": f"ms-{oid}",
            "order_id": oid,
            "position": 1,
            "title": title,
            "amount_fen": fen,
            "currency": "CNY",
            "status": status,
            **stamps,
            "created_at": created,
            "updated_at": created,
        }

    def delivery(oid: str, note: str, files: list[str], when: str) -> dict[str, Any]:
        described = [
            {"name": n, "size": 1024 * (i + 40), "sha256": "ab" * 32} for i, n in enumerate(files)
        ]
        return {
            "id": f"d-{oid}",
            "order_id": oid,
            "milestone_id": f"ms-{oid}",
            "freelancer_id": ME,
            "note": note,
            "files": described,
            "created_at": when,
        }

    def review(
        rid: str, oid: str, author: str, subject: str, stars: int, text: str, when: str
    ) -> dict[str, Any]:
        return {
            "id": rid,
            "order_id": oid,
            "author_id": author,
            "subject_id": subject,
            "stars": stars,
            "text": text,
            "created_at": when,
        }

    def done(oid: str, title: str, category: str, fen: int, created: str) -> dict[str, Any]:
        return order(
            oid,
            title,
            description=f"{title}：按附件要求完成。",
            category=category,
            status="completed",
            freelancer_id=ME,
            awarded_bid_id=f"b-{oid}",
            budget_min_fen=fen,
            budget_max_fen=fen,
            created_at=created,
            bid_count=2,
        )

    revising = order(
        "o30",
        "小程序首页 UI 设计",
        description="小程序首页和个人中心两屏的 UI 设计，需提供切图。",
        category="design",
        status="in_progress",
        freelancer_id=ME,
        awarded_bid_id="b-o30",
        budget_min_fen=100_000,
        budget_max_fen=200_000,
        deadline="2026-03-31",
        created_at=at(2, 11),
        bid_count=3,
    )
    asked = {
        "id": "e30",
        "order_id": "o30",
        "actor_id": "client-1",
        "kind": "revision_requested",
        "note": "主色调换成品牌蓝，底部导航加“我的”入口",
        "created_at": at(16, 10, 30),
    }
    return [
        put("order", revising),
        put("order", done("old2", "企业宣传册排版", "design", 500_000, "2026-01-20T09:00:00Z")),
        put(
            "order", done("old4", "活动海报设计（3 张）", "design", 400_000, "2026-02-26T09:00:00Z")
        ),
        put(
            "milestone",
            milestone(
                "o30",
                "首页与个人中心",
                150_000,
                "revision_requested",
                funded_at=at(3, 9),
                submitted_at=at(14, 18),
            ),
        ),
        put(
            "milestone",
            milestone(
                "old2",
                "全部交付",
                500_000,
                "released",
                funded_at="2026-01-21T09:00:00Z",
                submitted_at="2026-02-01T09:00:00Z",
                settled_at="2026-02-03T08:00:00Z",
            ),
        ),
        put(
            "milestone",
            milestone(
                "old4",
                "全部交付",
                400_000,
                "released",
                funded_at="2026-02-27T09:00:00Z",
                submitted_at="2026-03-08T09:00:00Z",
                settled_at="2026-03-10T08:00:00Z",
            ),
        ),
        put(
            "delivery", delivery("o30", "首页初稿与切图", ["home-v1.fig", "slices.zip"], at(14, 18))
        ),
        put(
            "delivery",
            delivery("old2", "排版定稿（印刷版 PDF）", ["brochure.pdf"], "2026-02-01T09:00:00Z"),
        ),
        put("delivery", delivery("old4", "三张海报终稿", ["posters.zip"], "2026-03-08T09:00:00Z")),
        {"seq": 0, "entity": "order_event", "id": "e30", "op": "put", "data": asked},
        put(
            "review",
            review("r2me", "old2", ME, "client-1", 5, "需求清晰，付款及时", "2026-02-05T08:00:00Z"),
        ),
        put(
            "review",
            review("r2c", "old2", "client-1", ME, 4, "按时交付，排版精致", "2026-02-06T08:00:00Z"),
        ),
    ]


def _profile(user_id: str, name: str, **fields: Any) -> dict[str, Any]:
    data = {
        "user_id": user_id,
        "name": name,
        "city": "上海",
        "skills": [],
        "rating": {"count": 0, "average": None},
        "completed_count": 0,
    }
    data.update(fields)
    return {"seq": 0, "entity": "profile", "id": user_id, "op": "put", "data": data}


def build_market(path: Path) -> Path:
    """A replica at `path` holding the market above, last synced at SYNCED_AT."""
    conn = open_db(path)
    try:
        conn.execute("UPDATE sync_state SET user_id = ?", (ME,))
        apply_page(conn, page(*changes()), now=SYNCED_AT)
    finally:
        conn.close()
    return path
