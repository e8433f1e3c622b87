"""`jiedan server seed --fraud`: a few weeks of live marketplace activity made through the real
API (seed_live.LiveMarket: routes, services, the risk engine with the configured rules),
honest work with fraud mixed in, so that `jiedan admin queue` holds a reviewer's day of
varied items, each with its rules, reasons and facts.

The honest crowd (its own install and address each, accounts older than a new one's month)
posts, bids, awards, funds, delivers, accepts, writes and withdraws at a human pace. The
fraud, each kind by a few accounts (seed 3.2 交易监控, 3.3 虚假订单与欺诈防范):

- rings of accounts on one install awarding each other (刷单), and a ring of three whose
  every action is on a shared device;
- new accounts posting large orders (新账号大额);
- night post-and-cancel series (深夜下单立即取消);
- bursts of bids, past twenty a minute;
- withdrawals right after a password change (an account taken over);
- fast fund-accept cycles with one counterpart (刷单 through escrow).

Everything is drawn from one `random.Random`, so a seed and a `now` give the same story.
The summary measures what share of the honest accounts' assessed actions was held."""

from __future__ import annotations

import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from jiedan_cli.domain.account_limits import UNVERIFIED_MAX_ORDER_FEN
from jiedan_cli.domain.identity import check_character
from jiedan_cli.domain.risk import CHINA_TIME
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db.tables import risk_assessments, risk_holds
from jiedan_cli.server.seed import (
    DEMO_PASSWORD,
    SEED,
    SEED_DOMAIN,
    SeedRandom,
    _order_text,
    nice_yuan,
)
from jiedan_cli.server.seed_data import BID_MESSAGES, CITIES, GIVEN, KINDS, SURNAMES
from jiedan_cli.server.seed_live import Account, LiveMarket

CHANGED_PASSWORD = "jiedan-demo-changed"  # the taken-over accounts' password after the change
HONEST_CLIENTS = 12
HONEST_FREELANCERS = 24
DONE_ORDERS = 40  # honest orders played out to acceptance
OPEN_ORDERS = 36  # honest orders still open at the end (bids, no award)
ACCOUNTS_AGO = timedelta(days=45)  # when the old accounts registered: past a new one's month
ACTIVITY_DAYS = 10  # the honest weeks before `now`
RINGS_AGO = timedelta(days=12)  # when the rings' accounts registered
# an honest order's budget at most: under what an unverified freelancer may be awarded
# (account_limits) and under a new account's large amount (risk)
HONEST_TOP_FEN = UNVERIFIED_MAX_ORDER_FEN - 20_000
FILES = [{"name": "交付文件.zip", "size": 204_800, "sha256": "ab" * 32}]


@dataclass
class Story:
    """The seed's bookkeeping: who is who, and what was done."""

    rng: random.Random
    market: LiveMarket
    now: datetime
    honest_clients: list[Account] = field(default_factory=list)
    honest_freelancers: list[Account] = field(default_factory=list)
    fraud: list[Account] = field(default_factory=list)
    open_orders: list[str] = field(default_factory=list)
    answers: Counter[int] = field(default_factory=Counter)
    reviewer: Account | None = None
    _n: int = 0

    def next_number(self) -> int:
        self._n += 1
        return self._n

    def call(self, who: Account, method: str, path: str, **body: Any) -> dict[str, Any] | None:
        """The answer when done; None when held (202), blocked (409 risk_blocked) or
        refused with the code `tolerate` names."""
        status, answer = self.market.call(who, method, path, **body)
        self.answers[status] += 1
        return answer if status in (200, 201) else None


# ---- people -----------------------------------------------------------------------------------


def _install(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _address(n: int) -> str:
    """A home network of its own for person `n` (a /16 each, as the risk engine counts)."""
    return f"10.{n % 250}.{n // 250 % 250}.{2 + n % 200}"


def _person(
    story: Story,
    role: str,
    *,
    honest: bool,
    install: str | None = None,
    address: str | None = None,
    label: str = "",
) -> Account | None:
    rng = story.rng
    n = story.next_number()
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + label
    tag = "live" if honest else "risk"
    made = story.market.register(
        f"{tag}{n}-{rng.getrandbits(24):06x}@{SEED_DOMAIN}",
        name,
        role,
        password=DEMO_PASSWORD,
        install=install or _install(rng),
        address=address or _address(n),
        honest=honest,
    )
    if made is not None and not honest:
        story.fraud.append(made)
    return made


def _people(story: Story) -> None:
    story.market.at(story.now - ACCOUNTS_AGO)
    for _ in range(HONEST_CLIENTS):
        story.market.clock.advance(minutes=story.rng.randint(20, 600))
        made = _person(story, "client", honest=True)
        assert made is not None
        story.honest_clients.append(made)
    for _ in range(HONEST_FREELANCERS):
        story.market.clock.advance(minutes=story.rng.randint(20, 600))
        made = _person(story, "freelancer", honest=True)
        assert made is not None
        story.honest_freelancers.append(made)


# ---- orders ---------------------------------------------------------------------------------


def _order_body(rng: random.Random, *, budget: tuple[int, int] | None = None) -> dict[str, Any]:
    """An order as people write one: a title and description of its kind, a budget in its
    range up to a few thousand yuan (or `budget`, in fen)."""
    kind = rng.choice(KINDS)
    title, description = _order_text(rng, kind, rng.randrange(len(CITIES)), False)
    if budget is None:
        low, high = kind.budget[0], max(kind.budget[0], min(kind.budget[1], 4000))
        ceiling = HONEST_TOP_FEN // 100
        minimum = min(nice_yuan(math.exp(rng.uniform(math.log(low), math.log(high)))), ceiling)
        top = min(nice_yuan(minimum * rng.uniform(1.0, 1.8)), ceiling)
        budget = (minimum * 100, top * 100)
    return {
        "title": title[:200],
        "description": description,
        "category": kind.category,
        "tags": list(rng.sample(kind.tags, min(2, len(kind.tags)))),
        "budget_min_fen": budget[0],
        "budget_max_fen": max(budget),
    }


def _quote(rng: random.Random, order: dict[str, Any]) -> int:
    low, high = int(order["budget_min_fen"]), int(order["budget_max_fen"])
    return max(100, (rng.randint(low, high) // 5000) * 5000 or low)


def _bid_body(rng: random.Random, order: dict[str, Any]) -> dict[str, Any]:
    return {
        "amount_fen": _quote(rng, order),
        "days": rng.randint(3, 14),
        "message": rng.choice(BID_MESSAGES)[:500],
    }


Step = tuple[datetime, Callable[[], None]]


def _play_order(story: Story, client: Account, start: datetime, *, finish: bool) -> list[Step]:
    """One honest order's life as timed steps: posted, quoted by two to four freelancers over
    hours, then (when `finish`) awarded, funded, delivered and accepted over days, with a
    message or two and now and then a withdrawal of what the freelancer earned."""
    rng = story.rng
    state: dict[str, Any] = {}
    bidders = rng.sample(story.honest_freelancers, rng.randint(2, 4))
    steps: list[Step] = []

    def post() -> None:
        state["order"] = story.call(client, "POST", "/v1/orders", **_order_body(rng))
        if state["order"] is not None and not finish:
            story.open_orders.append(state["order"]["id"])

    steps.append((start, post))
    moment = start
    for freelancer in bidders:
        moment += timedelta(minutes=rng.randint(15, 300))

        def bid(freelancer: Account = freelancer) -> None:
            order = state.get("order")
            if order is None:
                return
            path = f"/v1/orders/{order['id']}/bids"
            placed = story.call(freelancer, "POST", path, **_bid_body(rng, order))
            if placed is not None:
                state.setdefault("bids", []).append((freelancer, placed))

        steps.append((moment, bid))
    if not finish:
        return steps
    moment += timedelta(hours=rng.randint(4, 30))

    def award() -> None:
        if not state.get("bids"):
            return
        order = state["order"]
        chosen, placed = rng.choice(state["bids"])
        path = f"/v1/orders/{order['id']}"
        if rng.random() < 0.5:
            story.call(client, "POST", f"{path}/messages", text="您好，方便的话先聊聊细节？",
                       to=chosen.id)  # fmt: skip
        if story.call(client, "POST", f"{path}/award", bid_id=placed["id"]) is None:
            return
        state["winner"] = chosen
        story.call(client, "POST", f"{path}/fund")

    steps.append((moment, award))
    moment += timedelta(days=rng.randint(1, 4), minutes=rng.randint(0, 600))

    def deliver() -> None:
        if "winner" in state:
            path = f"/v1/orders/{state['order']['id']}/deliveries"
            story.call(state["winner"], "POST", path, note="已按要求完成，请查收。", files=FILES)

    steps.append((moment, deliver))
    moment += timedelta(hours=rng.randint(3, 40))

    def accept() -> None:
        if "winner" in state:
            story.call(client, "POST", f"/v1/orders/{state['order']['id']}/accept")

    steps.append((moment, accept))
    if rng.random() < 0.4:
        moment += timedelta(hours=rng.randint(2, 30))

        def withdraw() -> None:
            winner = state.get("winner")
            if winner is None:
                return
            summary = story.call(winner, "GET", "/v1/earnings/summary") or {}
            available = int(summary.get("available_fen") or 0)
            if available >= 10_000:
                amount = min(available, UNVERIFIED_MAX_ORDER_FEN) // 10_000 * 10_000
                # past a new account's cap: held for a reviewer (account_limits)
                story.call(winner, "POST", "/v1/earnings/withdraw", amount_fen=amount)

        steps.append((moment, withdraw))
    return steps


def _honest_steps(story: Story) -> list[Step]:
    rng, now = story.rng, story.now
    begin = now - timedelta(days=ACTIVITY_DAYS)
    steps: list[Step] = []
    for n in range(DONE_ORDERS):
        start = begin + timedelta(days=rng.uniform(0, ACTIVITY_DAYS - 6.5))
        client = story.honest_clients[n % len(story.honest_clients)]
        steps += _play_order(story, client, _daytime(start), finish=True)
    for n in range(OPEN_ORDERS):
        start = now - timedelta(days=rng.uniform(1.2, 2.5))
        client = story.honest_clients[n % len(story.honest_clients)]
        steps += _play_order(story, client, _daytime(start), finish=False)
    return steps


def _daytime(moment: datetime) -> datetime:
    """`moment` moved into China's working day (09:00–21:00), same date."""
    local = moment.astimezone(CHINA_TIME)
    if 9 <= local.hour < 21:
        return moment
    hour = 9 + (local.hour % 12)
    return local.replace(hour=hour).astimezone(UTC)


def _run(story: Story, steps: list[Step]) -> None:
    for moment, step in sorted(steps, key=lambda s: s[0]):
        story.market.at(moment)
        step()


# ---- the fraud ----------------------------------------------------------------------------------


def _rings(story: Story) -> None:
    """Pairs on one install (one phone, two accounts): the client awards its own second
    account, twice; and a ring of three, whose third account and every action after it are
    on a device three accounts share."""
    rng, market = story.rng, story.market
    market.at(story.now - RINGS_AGO)  # the device links the engine counts are this recent
    pairs = []
    for _ in range(3):
        install, address = _install(rng), _address(story.next_number() + 1000)
        client = _person(story, "client", honest=False, install=install, address=address)
        worker = _person(story, "freelancer", honest=False, install=install, address=address)
        assert client is not None and worker is not None
        pairs.append((client, worker))
    install, address = _install(rng), _address(story.next_number() + 1000)
    three = [
        _person(story, "both", honest=False, install=install, address=address) for _ in range(3)
    ]
    market.at(story.now - timedelta(hours=30))
    for client, worker in pairs:
        for _ in range(2):
            market.clock.advance(minutes=rng.randint(20, 90))
            order = story.call(client, "POST", "/v1/orders", **_order_body(rng))
            assert order is not None
            market.clock.advance(minutes=rng.randint(3, 15))
            path = f"/v1/orders/{order['id']}"
            placed = story.call(worker, "POST", f"{path}/bids", **_bid_body(rng, order))
            assert placed is not None
            market.clock.advance(minutes=rng.randint(2, 10))
            story.call(client, "POST", f"{path}/award", bid_id=placed["id"])  # held
    members = [m for m in three if m is not None]
    for member in members:
        market.clock.advance(minutes=rng.randint(10, 60))
        story.call(member, "POST", "/v1/orders", **_order_body(rng))  # held: shared device
        if story.open_orders:
            target = rng.choice(story.open_orders)
            story.call(member, "POST", f"/v1/orders/{target}/bids", amount_fen=50_000, days=3,
                       message="低价快速完成")  # fmt: skip


def _new_large_orders(story: Story) -> None:
    """Accounts a day or two old posting orders of ¥8,000 and more."""
    rng, market = story.rng, story.market
    for _ in range(5):
        market.at(story.now - timedelta(hours=rng.randint(30, 50)))
        newcomer = _person(story, "client", honest=False)
        assert newcomer is not None
        market.clock.advance(hours=rng.randint(2, 20))
        top = rng.choice((800_000, 1_200_000, 2_000_000, 3_500_000))
        body = _order_body(rng, budget=(top // 2, top))
        story.call(newcomer, "POST", "/v1/orders", **body)  # held


def _night_cancels(story: Story) -> None:
    """An order posted in the small hours (China time) and cancelled minutes later, two
    nights running; the third night's order is held (深夜下单立即取消)."""
    rng, market = story.rng, story.market
    for n in range(3):
        market.at(story.now - ACCOUNTS_AGO + timedelta(days=3, hours=n))
        who = _person(story, "client", honest=False)
        assert who is not None
        for night in (3, 2, 1):
            local = (story.now - timedelta(days=night)).astimezone(CHINA_TIME)
            at = local.replace(hour=1 + n, minute=rng.randint(0, 50)).astimezone(UTC)
            market.at(at)
            order = story.call(who, "POST", "/v1/orders", **_order_body(rng))
            if order is None:
                break  # the third night: held
            market.clock.advance(minutes=rng.randint(2, 12))
            story.call(who, "POST", f"/v1/orders/{order['id']}/cancel")


def id_number(rng: random.Random) -> str:
    """A made-up resident ID number of the right shape and checksum (GB 11643)."""
    born = date(1980, 1, 1) + timedelta(days=rng.randint(0, 7000))
    head = f"110105{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return head + check_character(head)


def _verified(story: Story, who: Account) -> None:
    """`who` through real-name verification (实名认证): submitted, approved by the seed's
    reviewer — so the daily bid limit of unverified accounts does not stop their script."""
    if story.reviewer is None:
        n = story.next_number()
        story.reviewer = story.market.staff(
            f"reviewer{n}-{story.rng.getrandbits(24):06x}@{SEED_DOMAIN}",
            "reviewer",
            password=DEMO_PASSWORD,
            install=_install(story.rng),
            address=_address(n + 2000),
        )
    real_name = who.name[:3]
    story.call(who, "POST", "/v1/me/verification", real_name=real_name,
               id_number=id_number(story.rng))  # fmt: skip
    story.call(story.reviewer, "POST", f"/v1/staff/verifications/{who.id}/approve")


def _bid_bursts(story: Story) -> None:
    """A verified 工作室 account's script bidding on every open order, a quote every two
    seconds: past twenty in a minute each further quote is held."""
    market = story.market
    for n in range(2):
        market.at(story.now - ACCOUNTS_AGO + timedelta(days=4, hours=n))
        bot = _person(story, "freelancer", honest=False)
        assert bot is not None
        _verified(story, bot)
        market.at(story.now - timedelta(hours=6 - n))
        for order_id in story.open_orders[:23]:
            market.clock.advance(seconds=2)
            story.call(bot, "POST", f"/v1/orders/{order_id}/bids", amount_fen=30_000,
                       days=1, message="专业团队，价格最低，马上开工")  # fmt: skip


def _earned(story: Story, worker: Account, client: Account, at: datetime) -> None:
    """One order of `client` done by `worker` at an honest pace, ending before `at`."""
    rng, market = story.rng, story.market
    market.at(at - timedelta(days=5))
    order = story.call(client, "POST", "/v1/orders", **_order_body(rng))
    assert order is not None
    path = f"/v1/orders/{order['id']}"
    market.clock.advance(hours=3)
    placed = story.call(worker, "POST", f"{path}/bids", **_bid_body(rng, order))
    assert placed is not None
    market.clock.advance(hours=20)
    story.call(client, "POST", f"{path}/award", bid_id=placed["id"])
    story.call(client, "POST", f"{path}/fund")
    market.clock.advance(days=2)
    story.call(worker, "POST", f"{path}/deliveries", note="已完成", files=FILES)
    market.clock.advance(days=1)
    story.call(client, "POST", f"{path}/accept")


def _taken_over(story: Story) -> None:
    """A freelancer with earnings whose password is changed, and the balance withdrawn within
    the hour (an account taken over)."""
    rng, market = story.rng, story.market
    for n in range(3):
        market.at(story.now - ACCOUNTS_AGO + timedelta(days=5, hours=n))
        victim = _person(story, "freelancer", honest=False)
        assert victim is not None
        _earned(story, victim, rng.choice(story.honest_clients), story.now - timedelta(hours=20))
        market.at(story.now - timedelta(hours=12 - n))
        story.call(victim, "POST", "/v1/auth/password", current_password=DEMO_PASSWORD,
                   new_password=CHANGED_PASSWORD)  # fmt: skip
        market.clock.advance(minutes=rng.randint(5, 40))
        summary = story.call(victim, "GET", "/v1/earnings/summary") or {}
        amount = int(summary.get("available_fen") or 0)
        if amount > 0:
            story.call(victim, "POST", "/v1/earnings/withdraw", amount_fen=amount)  # held


def _fast_cycles(story: Story) -> None:
    """A client and a freelancer who post, quote, award, fund, deliver and accept within
    minutes, again and again: the fourth award is held."""
    rng, market = story.rng, story.market
    for n in range(2):
        market.at(story.now - ACCOUNTS_AGO + timedelta(days=6, hours=n))
        client = _person(story, "client", honest=False)
        worker = _person(story, "freelancer", honest=False)
        assert client is not None and worker is not None
        market.at(story.now - timedelta(hours=10 + 4 * n))
        for _ in range(4):
            market.clock.advance(minutes=rng.randint(20, 40))
            order = story.call(client, "POST", "/v1/orders", **_order_body(rng))
            assert order is not None
            path = f"/v1/orders/{order['id']}"
            market.clock.advance(minutes=2)
            placed = story.call(worker, "POST", f"{path}/bids", **_bid_body(rng, order))
            assert placed is not None
            market.clock.advance(minutes=2)
            if story.call(client, "POST", f"{path}/award", bid_id=placed["id"]) is None:
                break  # held
            story.call(client, "POST", f"{path}/fund")
            market.clock.advance(minutes=rng.randint(3, 8))
            story.call(worker, "POST", f"{path}/deliveries", note="好了", files=FILES)
            market.clock.advance(minutes=rng.randint(2, 6))
            story.call(client, "POST", f"{path}/accept")


# ---- the whole story --------------------------------------------------------------------------


def seed_fraud(settings: Settings, *, seed: int = SEED, now: datetime | None = None) -> str:
    """Add the live activity, honest and fraudulent, to the database of `settings`; return a
    summary with the holds by rule and the share of honest actions held."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    market = LiveMarket(settings, now - ACCOUNTS_AGO)
    with market.db.read() as conn:
        base = int(conn.scalar(select(func.count()).select_from(risk_holds)) or 0)
    story = Story(SeedRandom(seed * 7 + base), market, now)
    try:
        _people(story)
        _run(story, _honest_steps(story))
        _rings(story)
        _new_large_orders(story)
        _night_cancels(story)
        _bid_bursts(story)
        _taken_over(story)
        _fast_cycles(story)
        market.at(now)
        report = measure(market.db, story)
    finally:
        market.close()
    elapsed = time.perf_counter() - started
    return f"{report} ({elapsed:.1f} s)"


@dataclass(frozen=True)
class Measured:
    held_by_rule: Counter[str]
    by_status: Counter[str]  # the fraud's holds: held (waiting for a reviewer), blocked
    honest_assessed: int
    honest_held: int
    fraud_accounts: int

    @property
    def honest_share(self) -> float:
        return self.honest_held / self.honest_assessed if self.honest_assessed else 0.0


def measured(db: Any, honest: list[str], fraud: list[str]) -> Measured:
    """Holds by rule (each hold counted under every rule that fired on it) among those of
    the `fraud` accounts, and the honest accounts' assessed actions and holds."""
    by_rule: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    with db.read() as conn:
        of_fraud = select(risk_holds.c.fired, risk_holds.c.status).where(
            risk_holds.c.user_id.in_(fraud)
        )
        for row in conn.execute(of_fraud):
            by_rule.update(str(f["name"]) for f in row.fired or [])
            statuses[row.status] += 1
        assessed = conn.scalar(
            select(func.count())
            .select_from(risk_assessments)
            .where(risk_assessments.c.user_id.in_(honest))
        )
        held = conn.scalar(
            select(func.count()).select_from(risk_holds).where(risk_holds.c.user_id.in_(honest))
        )
    return Measured(by_rule, statuses, int(assessed or 0), int(held or 0), len(fraud))


def measure(db: Any, story: Story) -> str:
    honest = [a.id for a in (*story.honest_clients, *story.honest_freelancers)]
    found = measured(db, honest, [a.id for a in story.fraud])
    rules = ", ".join(f"{name} {count}" for name, count in found.held_by_rule.most_common())
    return (
        f"live activity: {len(honest)} honest accounts, {found.fraud_accounts} fraudulent; "
        f"{found.by_status['held']} held for review, {found.by_status['blocked']} blocked; "
        f"holds by rule: {rules or 'none'}; honest actions held: {found.honest_held} of "
        f"{found.honest_assessed} ({found.honest_share:.1%})"
    )
