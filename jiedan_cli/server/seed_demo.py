"""The demo marketplace (`jiedan server run --demo`, `jiedan demo`): a demo client and a demo
freelancer among a small seeded crowd, with a little live activity of their own (bids, and an
order awarded to the freelancer) made through the live services."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from jiedan_cli.domain.states import OrderStatus
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.tables import orders, users
from jiedan_cli.server.seed import (
    DEMO_PASSWORD,
    SEED,
    People,
    Person,
    SeedRandom,
    make_people,
    nice_yuan,
    person_rows,
    populate,
    record_accounts,
    shared_password_hash,
    write_people,
)

DEMO_CLIENT = "demo-client@jiedan.dev"
DEMO_FREELANCER = "demo@jiedan.dev"
DEMO_ORDERS = 200
SHANGHAI = 1  # index into CITIES


@dataclass
class _Demo:
    people: People
    client: Person
    me: Person
    user_rows: list[dict[str, Any]]
    profile_rows: list[dict[str, Any]]


def _demo_people(rng: random.Random, password_hash: str, now: datetime) -> _Demo:
    """The two demo accounts plus a small crowd of seeded clients and freelancers."""
    client, client_user, client_profile = person_rows(
        rng,
        email=DEMO_CLIENT,
        name="陈女士（演示客户）",
        role="client",
        password_hash=password_hash,
        now=now,
        category=None,
        city=SHANGHAI,
        skills=[],
    )
    me, me_user, me_profile = person_rows(
        rng,
        email=DEMO_FREELANCER,
        name="林小满（演示自由职业者）",
        role="freelancer",
        password_hash=password_hash,
        now=now,
        category="design",
        city=SHANGHAI,
        skills=["logo", "UI设计", "网站"],
    )
    me_profile["bio"] = "6年品牌与界面设计经验，也做小型网站。上海本地，可远程。"
    crowd, user_rows, profile_rows = make_people(
        rng, clients=12, freelancers=40, base=0, password_hash=password_hash, now=now
    )
    # the demo freelancer is kept out of the crowd's random bids: their bids are placed below
    people = People([client, *crowd.clients], crowd.freelancers)
    return _Demo(
        people,
        client,
        me,
        [*user_rows, client_user, me_user],
        [*profile_rows, client_profile, me_profile],
    )


def _actor(conn: Connection, person: Person) -> Any:
    from jiedan_cli.server.services.actors import Actor, parse_roles

    row = conn.execute(select(users).where(users.c.id == person.id)).one()
    return Actor(row.id, row.email, row.name, parse_roles(row.roles))


def _demo_activity(db: Database, rng: random.Random, demo: _Demo, now: datetime) -> str:
    """Through the live services: the demo freelancer bids on a few open orders in their
    line of work, and the demo client posts an order and awards it to them."""
    from jiedan_cli.server.services import bids as bid_service
    from jiedan_cli.server.services.orders import post_order

    with db.write() as conn:
        me, client = _actor(conn, demo.me), _actor(conn, demo.client)
        open_orders = conn.execute(
            select(orders.c.id, orders.c.budget_min_fen, orders.c.budget_max_fen)
            .where(
                orders.c.status == OrderStatus.OPEN.value,
                orders.c.category.in_(["design", "development"]),
                orders.c.client_id != demo.client.id,
            )
            .order_by(orders.c.created_at.desc())
            .limit(4)
        ).all()
        for target in open_orders:
            amount = nice_yuan((target.budget_min_fen + target.budget_max_fen) / 200) * 100
            bid_service.place_bid(
                conn,
                me,
                order_id=target.id,
                amount_fen=amount,
                days=rng.randint(5, 14),
                message="您好，我做过多个同类项目，可以先出初稿确认方向，沟通及时。",
                now=now,
            )
        posted = post_order(
            conn,
            client,
            title="咖啡馆品牌Logo设计（国潮风格）",
            description="在上海静安区新开一家咖啡馆，需要国潮风格的Logo，门头、杯套和包装都会用到。"
            "请先给2个方向的草图，交付AI源文件，包含2轮修改。",
            category="design",
            tags=["Logo", "品牌设计", "国潮"],
            budget_min_fen=120_000,
            budget_max_fen=250_000,
            now=now,
        )
        bid = bid_service.place_bid(
            conn,
            me,
            order_id=posted["id"],
            amount_fen=180_000,
            days=7,
            message="国潮风格是我的强项，7天内交付两套方案。",
            now=now,
        )
        award = getattr(bid_service, "award_bid", None)
        if award is None:  # awarding is not served yet: leave the order open with its bid
            return f"{len(open_orders) + 1} bids by {DEMO_FREELANCER}"
        award(conn, client, order_id=posted["id"], bid_id=bid["id"], now=now)
    return f"{len(open_orders) + 1} bids by {DEMO_FREELANCER}, one order awarded to them"


def seed_demo(db: Database, *, now: datetime | None = None) -> str | None:
    """Seed the demo marketplace into an empty database; None when it has any account."""
    with db.read() as conn:
        if conn.execute(select(users.c.id).limit(1)).first() is not None:
            return None
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    rng = SeedRandom(SEED)
    demo = _demo_people(rng, shared_password_hash(), now)
    write_people(db, demo.user_rows, demo.profile_rows)
    counts = populate(db, rng, demo.people, orders_count=DEMO_ORDERS, now=now)
    activity = _demo_activity(db, rng, demo, now)
    record_accounts(db, demo.user_rows, now)
    return (
        f"{DEMO_ORDERS} orders, {counts['bids']} bids, {activity}; sign in as "
        f"{DEMO_FREELANCER} or {DEMO_CLIENT} with password {DEMO_PASSWORD!r} "
        f"({time.perf_counter() - started:.1f} s)"
    )
