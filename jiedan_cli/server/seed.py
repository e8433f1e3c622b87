"""The synthetic marketplace: `jiedan server seed` (demos, benchmarks) and `server run --demo`.

Everything is drawn from one `random.Random(seed)`, ids included, so the same seed and the
same `now` give the same rows. Rows go in with bulk inserts, many thousand orders per
transaction, and every order, bid and milestone is appended to the change log with the same
audience the live services give it, so a client's first sync pulls the seeded market
(seed_writes.py). The demo marketplace on top of it is seed_demo.py."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import accumulate
from string import Formatter
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, select, update

from jiedan_cli.domain.states import BidStatus, MilestoneStatus, OrderStatus
from jiedan_cli.server.db import Database
from jiedan_cli.server.db.bulk import insert_rows, slices
from jiedan_cli.server.db.tables import points_balances, profiles, users
from jiedan_cli.server.seed_data import (
    BID_MESSAGES,
    BIOS,
    CITIES,
    CLOSINGS,
    COMMON_TAGS,
    COMPANY_SUFFIXES,
    GIVEN,
    KINDS,
    NUMBERS,
    REVIEW_TEXTS,
    SKILLS,
    SLOTS,
    SURNAMES,
    Kind,
)
from jiedan_cli.server.seed_writes import Batch, write_batch
from jiedan_cli.server.services.bids import DEFAULT_MILESTONE_TITLE

SEED = 20261125
DEMO_PASSWORD = "jiedan-demo"  # every seeded and demo account signs in with it
SEED_DOMAIN = "seed.jiedan.dev"
BATCH = 20000  # orders per transaction: fewer commits, fewer WAL checkpoints
HISTORY_DAYS = 90
REVIEW_BLIND_DAYS = 14  # Settings.review_blind_days' default
_T = TypeVar("_T")


# ---- ids, money, places ---------------------------------------------------------------------


class SeedRandom(random.Random):
    """`random.Random` with cheaper `choice` and `randint` (one `random()` call each, not the
    exact rejection sampling): seeding draws millions of them. Same seed, same draws."""

    def choice(self, seq: Sequence[_T]) -> _T:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


def _uuid7(rng: random.Random, moment: datetime) -> str:
    """A UUIDv7 for `moment` whose random bits come from `rng` (so seeding is repeatable)."""
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    rand = rng.getrandbits(74)
    value = millis << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def nice_yuan(yuan: float) -> int:
    """Round to what people actually write in a budget: 80, 350, 2500, 18000."""
    step = 10 if yuan < 200 else 50 if yuan < 2000 else 100 if yuan < 10000 else 1000
    return max(step, round(yuan / step) * step)


def _budget_fen(rng: random.Random, kind: Kind) -> tuple[int, int]:
    low, high = kind.budget
    # log-uniform: cheap jobs are common, big ones rare
    start = math.exp(rng.uniform(math.log(low), math.log(high * 0.7)))
    minimum = min(nice_yuan(start), high)
    if rng.random() < 0.15:
        maximum = minimum  # a fixed price
    else:
        maximum = min(max(nice_yuan(minimum * rng.uniform(1.2, 2.5)), minimum), high)
    return minimum * 100, maximum * 100


def _near(rng: random.Random, lat: float, lon: float, spread: float = 0.08) -> tuple[float, float]:
    return round(lat + rng.gauss(0, spread), 5), round(lon + rng.gauss(0, spread), 5)


@cache
def _slots_of(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in Formatter().parse(template) if name)


def _fill(rng: random.Random, template: str, extra: dict[str, str]) -> str:
    """Put words and numbers into a template's {slots}."""
    values: dict[str, Any] = {}
    for name in _slots_of(template):
        if name in extra:
            values[name] = extra[name]
        elif name in SLOTS:
            values[name] = rng.choice(SLOTS[name])
        else:
            lo, hi = NUMBERS[name]
            values[name] = rng.randint(lo, hi)
    return template.format_map(values)


# ---- people ---------------------------------------------------------------------------------


@dataclass
class Person:
    id: str
    category: str | None  # a freelancer's main line of work
    city: int  # index into CITIES


@dataclass
class People:
    clients: list[Person]
    freelancers: list[Person]
    by_category: dict[str, list[Person]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for person in self.freelancers:
            if person.category:
                self.by_category.setdefault(person.category, []).append(person)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def person_rows(
    rng: random.Random,
    *,
    email: str,
    name: str,
    role: str,
    password_hash: str,
    now: datetime,
    category: str | None,
    city: int,
    skills: list[str],
) -> tuple[Person, dict[str, Any], dict[str, Any]]:
    joined = now - timedelta(days=rng.uniform(HISTORY_DAYS, 3 * 365))
    person = Person(_uuid7(rng, joined), category, city)
    city_name, lat, lon, _districts = CITIES[city]
    user = {
        "id": person.id,
        "email": email,
        "name": name,
        "password_hash": password_hash,
        "roles": role,
        "created_at": joined,
    }
    bio = ""
    rate = None
    if role == "freelancer":
        bio = rng.choice(BIOS).format(years=rng.randint(1, 12), skill=skills[0], city=city_name)
        rate = nice_yuan(rng.uniform(50, 500)) * 100
    place = _near(rng, lat, lon)
    profile = {
        "user_id": person.id,
        "skills": skills,
        "bio": bio,
        "city": city_name,
        "lat": place[0],
        "lon": place[1],
        "hourly_rate_fen": rate,
        "rating_count": 0,
        "rating_sum": 0,
        "completed_count": 0,
        "updated_at": joined,
    }
    return person, user, profile


def make_people(
    rng: random.Random,
    *,
    clients: int,
    freelancers: int,
    base: int,
    password_hash: str,
    now: datetime,
) -> tuple[People, list[dict[str, Any]], list[dict[str, Any]]]:
    user_rows: list[dict[str, Any]] = []
    profile_rows: list[dict[str, Any]] = []
    made_clients: list[Person] = []
    made_freelancers: list[Person] = []
    categories = list(SKILLS)
    weights = [sum(k.weight for k in KINDS if k.category == c) for c in categories]
    for n in range(base + 1, base + clients + 1):
        name = _name(rng)
        if rng.random() < 0.3:
            city = rng.choice(CITIES)[0]
            name = f"{city}{name[1:]}{rng.choice(COMPANY_SUFFIXES)}"
        person, user, profile = person_rows(
            rng,
            email=f"client{n}@{SEED_DOMAIN}",
            name=name,
            role="client",
            password_hash=password_hash,
            now=now,
            category=None,
            city=int(rng.random() * len(CITIES)),
            skills=[],
        )
        made_clients.append(person)
        user_rows.append(user)
        profile_rows.append(profile)
    for n in range(base + 1, base + freelancers + 1):
        category = rng.choices(categories, weights)[0]
        pool = SKILLS[category]
        person, user, profile = person_rows(
            rng,
            email=f"freelancer{n}@{SEED_DOMAIN}",
            name=_name(rng),
            role="freelancer",
            password_hash=password_hash,
            now=now,
            category=category,
            city=int(rng.random() * len(CITIES)),
            skills=rng.sample(pool, rng.randint(2, min(4, len(pool)))),
        )
        made_freelancers.append(person)
        user_rows.append(user)
        profile_rows.append(profile)
    return People(made_clients, made_freelancers), user_rows, profile_rows


# ---- one order and what happened to it -------------------------------------------------------


def _pick_status(rng: random.Random, age: timedelta) -> OrderStatus:
    if age < timedelta(days=2):
        return OrderStatus.OPEN
    roll = rng.random()
    if roll < 0.78:
        return OrderStatus.OPEN
    if roll < 0.85:
        return OrderStatus.AWARDED
    if roll < 0.96:
        return OrderStatus.COMPLETED
    return OrderStatus.CANCELLED


def _order_text(rng: random.Random, kind: Kind, city: int, local: bool) -> tuple[str, str]:
    city_name, _lat, _lon, districts = CITIES[city]
    where = {"city": city_name, "district": rng.choice(districts)}
    title = _fill(rng, rng.choice(kind.titles), where)
    if local and rng.random() < 0.5:
        title = f"【{city_name}{where['district']}】{title}"
    parts = [_fill(rng, rng.choice(kind.intros), where)]
    parts += [_fill(rng, ask, where) for ask in rng.sample(kind.asks, rng.randint(2, 3))]
    if local:
        parts.append(f"服务地址：{city_name}{where['district']}（详细地址接单后沟通）。")
    parts.append(rng.choice(CLOSINGS))
    return title, "".join(parts)


def _order_row(
    rng: random.Random, kind: Kind, client: Person, created: datetime, now: datetime
) -> dict[str, Any]:
    local = rng.random() < kind.local
    city = client.city if local or rng.random() < 0.7 else int(rng.random() * len(CITIES))
    title, description = _order_text(rng, kind, city, local)
    low, high = _budget_fen(rng, kind)
    tags = rng.sample(kind.tags, rng.randint(2, 3))
    if rng.random() < 0.25:
        tags.append(rng.choice(COMMON_TAGS))
    lat = lon = radius = None
    if local:
        lat, lon = _near(rng, CITIES[city][1], CITIES[city][2])
        radius = float(rng.choice((3, 5, 5, 10, 10, 15, 20)))
    return {
        "id": _uuid7(rng, created),
        "client_id": client.id,
        "title": title,
        "description": description,
        "category": kind.category,
        "tags": tags,
        "budget_min_fen": low,
        "budget_max_fen": high,
        "status": OrderStatus.OPEN.value,
        "deadline": None,
        "lat": lat,
        "lon": lon,
        "radius_km": radius,
        "bid_count": 0,
        "awarded_bid_id": None,
        "freelancer_id": None,
        "created_at": created,
        "updated_at": created,
    }


def _bid_count(rng: random.Random, status: OrderStatus) -> int:
    if status == OrderStatus.OPEN:
        return rng.choices((0, 1, 2, 3, 4, 6), (30, 25, 20, 12, 8, 5))[0]
    if status == OrderStatus.CANCELLED:
        return rng.randint(0, 2)
    return rng.randint(2, 6)


def _bid_row(
    rng: random.Random,
    kind: Kind,
    order: dict[str, Any],
    freelancer: Person,
    created: datetime,
) -> dict[str, Any]:
    low, high = order["budget_min_fen"] // 100, order["budget_max_fen"] // 100
    amount = nice_yuan(rng.uniform(low * 0.8, high * 1.1))
    days = rng.randint(*kind.days)
    message = rng.choice(BID_MESSAGES).format(
        years=rng.randint(1, 10),
        days=days,
        rounds=rng.randint(1, 3),
        size=rng.randint(2, 8),
        industry=rng.choice(SLOTS["industry"]),
    )
    return {
        "id": _uuid7(rng, created),
        "order_id": order["id"],
        "freelancer_id": freelancer.id,
        "amount_fen": amount * 100,
        "days": days,
        "message": message,
        "status": BidStatus.SUBMITTED.value,
        "created_at": created,
        "updated_at": created,
    }


def _bidders(rng: random.Random, people: People, kind: Kind, count: int) -> list[Person]:
    pool = people.by_category.get(kind.category) or people.freelancers
    if len(pool) < count:
        pool = people.freelancers
    return rng.sample(pool, min(count, len(pool)))


def _play_out(
    rng: random.Random,
    batch: Batch,
    people: People,
    kind: Kind,
    order: dict[str, Any],
    status: OrderStatus,
    now: datetime,
    ratings: Counter[tuple[str, str]],
) -> None:
    """Add the order's bids and take it to `status` the way the live flow would."""
    created: datetime = order["created_at"]
    settled = min(now, created + timedelta(days=rng.uniform(1, 5)))
    if status == OrderStatus.OPEN:
        settled = now
    placed = [
        _bid_row(rng, kind, order, who, created + (settled - created) * rng.uniform(0.05, 0.95))
        for who in _bidders(rng, people, kind, _bid_count(rng, status))
    ]
    if status == OrderStatus.OPEN and rng.random() < 0.3:
        order["deadline"] = (now + timedelta(days=rng.randint(3, 60))).date()
    if status in (OrderStatus.AWARDED, OrderStatus.COMPLETED) and placed:
        winner = rng.choice(placed)
        winner["status"] = BidStatus.AWARDED.value
        order.update(awarded_bid_id=winner["id"], freelancer_id=winner["freelancer_id"])
        if status == OrderStatus.COMPLETED:
            settled = min(now, settled + timedelta(days=rng.uniform(3, 40)))
            _review(rng, batch, order, winner, settled, now, ratings)
        else:
            batch.milestones.append(_milestone_row(rng, order, winner, settled))
    elif status != OrderStatus.OPEN:
        status = OrderStatus.CANCELLED
    for bid in placed:
        if status != OrderStatus.OPEN and bid["status"] == BidStatus.SUBMITTED:
            bid.update(status=BidStatus.DECLINED.value, updated_at=settled)
        elif bid["status"] == BidStatus.AWARDED:
            bid["updated_at"] = settled
    order["status"] = status.value
    order["bid_count"] = sum(1 for b in placed if b["status"] != BidStatus.DECLINED)
    order["updated_at"] = max([created, *(b["created_at"] for b in placed)])
    if status != OrderStatus.OPEN:
        order["updated_at"] = settled
    batch.orders.append(order)
    batch.bids.extend(placed)


def _milestone_row(
    rng: random.Random, order: dict[str, Any], bid: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "id": _uuid7(rng, at),
        "order_id": order["id"],
        "position": 1,
        "title": DEFAULT_MILESTONE_TITLE,
        "amount_fen": bid["amount_fen"],
        "status": MilestoneStatus.CREATED.value,
        "payment_intent_id": None,
        "funded_at": None,
        "submitted_at": None,
        "settled_at": None,
        "created_at": at,
        "updated_at": at,
    }


def _review(
    rng: random.Random,
    batch: Batch,
    order: dict[str, Any],
    bid: dict[str, Any],
    at: datetime,
    now: datetime,
    ratings: Counter[tuple[str, str]],
) -> None:
    """The client's review of a completed order. Reviews are blind (services/reviews.py):
    one written less than REVIEW_BLIND_DAYS ago is still hidden and not yet in the rating."""
    freelancer = bid["freelancer_id"]
    ratings[(freelancer, "completed")] += 1
    if rng.random() < 0.3:
        return  # not every client writes a review
    stars = rng.choices((5, 4, 3, 2), (60, 28, 9, 3))[0]
    revealed = at + timedelta(days=REVIEW_BLIND_DAYS)
    if revealed <= now:
        ratings[(freelancer, "count")] += 1
        ratings[(freelancer, "sum")] += stars
    batch.reviews.append(
        {
            "id": _uuid7(rng, at),
            "order_id": order["id"],
            "author_id": order["client_id"],
            "subject_id": freelancer,
            "stars": stars,
            "text": rng.choice(REVIEW_TEXTS) if stars >= 4 else "还可以，有改进空间。",
            "flagged": False,
            "created_at": at,
            "revealed_at": revealed if revealed <= now else None,
        }
    )


# ---- the entry points -----------------------------------------------------------------------


def shared_password_hash() -> str:
    """Argon2 is slow on purpose: hash the shared password once for every seeded account."""
    from jiedan_cli.server.services.passwords import hash_password

    return hash_password(DEMO_PASSWORD)


def _created_times(rng: random.Random, count: int, now: datetime) -> list[datetime]:
    """Order creation times over the last 90 days, busier recently, oldest first."""
    span = HISTORY_DAYS * 86400.0
    offsets = sorted((span * (1 - rng.random() ** 1.4) for _ in range(count)), reverse=True)
    return [now - timedelta(seconds=offset) for offset in offsets]


def write_people(
    db: Database, user_rows: list[dict[str, Any]], profile_rows: list[dict[str, Any]]
) -> None:
    with db.write() as conn:
        insert_rows(conn, users, user_rows)
        insert_rows(conn, profiles, profile_rows)
        insert_rows(conn, points_balances, [{"user_id": u["id"], "balance": 0} for u in user_rows])


def record_accounts(db: Database, user_rows: list[dict[str, Any]], now: datetime) -> None:
    """Each account and its profile in the change log, addressed to its owner (as registering
    does): a seeded user's first sync brings their roles and profile, ratings included."""
    from jiedan_cli.server.services.profiles import record_profile
    from jiedan_cli.server.services.users import record_user_change

    with db.write() as conn:
        for user in user_rows:
            record_profile(conn, user["id"], now=now)
            record_user_change(conn, user["id"], now=now)


def _write_ratings(db: Database, ratings: Counter[tuple[str, str]]) -> None:
    freelancers = sorted({who for who, _ in ratings})
    if not freelancers:
        return
    rows = [
        {
            "who": who,
            "rc": ratings[(who, "count")],
            "rs": ratings[(who, "sum")],
            "cc": ratings[(who, "completed")],
        }
        for who in freelancers
    ]
    statement = (
        update(profiles)
        .where(profiles.c.user_id == bindparam("who"))
        .values(
            rating_count=bindparam("rc"),
            rating_sum=bindparam("rs"),
            completed_count=bindparam("cc"),
        )
    )
    with db.write() as conn:
        for part in slices(rows):
            conn.execute(statement, list(part))


def populate(
    db: Database,
    rng: random.Random,
    people: People,
    *,
    orders_count: int,
    now: datetime,
    posters: Sequence[Person] | None = None,
) -> Counter[str]:
    """Post `orders_count` orders (by `posters`, default every client) with their history."""
    kinds = list(KINDS)
    cum_weights = list(accumulate(k.weight for k in KINDS))
    posters = list(posters or people.clients)
    statuses: Counter[str] = Counter()
    ratings: Counter[tuple[str, str]] = Counter()
    times = _created_times(rng, orders_count, now)
    for start in range(0, orders_count, BATCH):
        batch = Batch()
        for created in times[start : start + BATCH]:
            kind = rng.choices(kinds, cum_weights=cum_weights)[0]
            # a few clients post a lot, most post a little
            client = posters[int(len(posters) * rng.random() ** 2)]
            order = _order_row(rng, kind, client, created, now)
            status = _pick_status(rng, now - created)
            _play_out(rng, batch, people, kind, order, status, now, ratings)
        with db.write() as conn:
            write_batch(conn, batch, now)
        statuses.update(o["status"] for o in batch.orders)
        statuses["bids"] += len(batch.bids)
    _write_ratings(db, ratings)
    return statuses


def seed_marketplace(
    db: Database,
    *,
    orders: int,
    clients: int = 200,
    freelancers: int = 500,
    seed: int = SEED,
    now: datetime | None = None,
) -> str:
    """Add `clients` + `freelancers` accounts and `orders` orders; return a one-line summary."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    with db.read() as conn:
        base = int(conn.scalar(select(func.count()).select_from(users)) or 0)
    # a second run on the same database draws different ids and e-mails
    rng = SeedRandom(seed * 1_000_003 + base)
    people, user_rows, profile_rows = make_people(
        rng,
        clients=clients,
        freelancers=freelancers,
        base=base,
        password_hash=shared_password_hash(),
        now=now,
    )
    write_people(db, user_rows, profile_rows)
    counts = populate(db, rng, people, orders_count=orders, now=now)
    record_accounts(db, user_rows, now)
    elapsed = time.perf_counter() - started
    by_status = ", ".join(f"{counts[s.value]} {s.value}" for s in OrderStatus if counts[s.value])
    return (
        f"seeded {orders} orders ({by_status or 'none'}), {counts['bids']} bids, "
        f"{clients} clients, {freelancers} freelancers in {elapsed:.1f} s "
        f"(accounts *@{SEED_DOMAIN}, password {DEMO_PASSWORD!r})"
    )
