"""The ledger's invariants under random sequences of money operations (money.md), driven
through the services on SQLite and on PostgreSQL, and checked after every step:

- the sum of all balances is zero;
- no account but external:* is negative;
- an escrow account holds its milestone's amount while the milestone holds money and is
  zero otherwise (in particular once it is released, refunded or resolved);
- a milestone is paid out at most once, and never more leaves escrow than came in;
- every balance is the sum of its transfers (a freelancer's available balance is what they
  were paid less what they withdrew, plus points cashed out);
- with points redeemed for cash (through platform:promotions) and fee coupons (off the next
  releases' fees), retried under the same redemption id: no points balance is negative, each
  is the sum of its entries, a redemption is spent once, platform:promotions ends each
  posting at zero, and no coupon is used beyond its value;
- the protection fund (保险机制) is fed by exactly the configured share of each fee, in the
  fee's posting, and pays compensations out of what it holds only (never negative, each
  compensation id once however often it is retried);
- with fee plans chosen (a paid one billed at choosing) and renewed by the plan_fees job: each
  bill is the plan's monthly charge, from the freelancer's available earnings to
  platform:fees, posted once per period the plan counts (never an overdraft: a refused choice
  or a lapsed renewal bills nothing);
- with the clients' first-order coupon on (new clients join as the run goes): a client's
  coupon is paid into escrow at most once, from outside through platform:promotions, by the
  amount its row says; what goes back to the platform on a refund or a split is never more
  than came in; and no client is ever refunded more than they paid in (a coupon never becomes
  cash)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import select

from jiedan_cli.domain.errors import JiedanError
from jiedan_cli.domain.fees import FEE_PLANS, fee_plan
from jiedan_cli.domain.ledger import (
    PLATFORM_FEES,
    PLATFORM_PROMOTIONS,
    PLATFORM_PROTECTION,
    freelancer_available,
)
from jiedan_cli.server.db.tables import (
    fee_coupons,
    first_order_coupons,
    ledger_accounts,
    ledger_transfers,
    points_balances,
    points_entries,
)
from jiedan_cli.server.db.tables import (
    fee_plans as fee_plans_table,
)
from jiedan_cli.server.db.tables import orders as orders_table
from jiedan_cli.server.jobs import plan_fees
from jiedan_cli.server.services import (
    bids,
    earnings,
    escrow,
    fee_plans,
    funding,
    orders,
    protection,
    redemptions,
)
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.ledger import balance as ledger_balance
from tests.server.conftest import Server, make_server
from tests.server.escrow_flow import SHA, assert_ledger_sound, completed, staff


def actor(user: dict[str, Any]) -> Actor:
    return Actor(user["id"], user["email"], user["name"], frozenset(user["roles"]))


class MoneyMachine(RuleBasedStateMachine):
    server: Server
    clients: list[Actor]
    freelancers: list[Actor]
    support: Actor
    finance: Actor
    # compensation id → amount, once posted: across examples, as the server's database is
    compensations: dict[str, int]

    def __init__(self) -> None:
        super().__init__()
        self.orders: list[str] = []
        self.newcomers: list[Actor] = []  # clients who joined in this example
        self.sent: dict[str, tuple[str, str, int]] = {}  # id → (order, to, amount) as sent

    # ---- helpers ----------------------------------------------------------------------------

    def attempt(self, operation: Callable[[Any], object]) -> None:
        """Run one operation in its own transaction; a refusal is a fine outcome."""
        try:
            with self.server.db.write() as conn:
                operation(conn)
        except JiedanError:
            pass

    def now(self) -> Any:
        return self.server.clock.now

    def order(self, pick: int) -> dict[str, Any]:
        order_id = self.orders[pick % len(self.orders)]
        with self.server.db.read() as conn:
            row = conn.execute(select(orders_table).where(orders_table.c.id == order_id)).one()
        return dict(row._mapping)

    def party(self, order: dict[str, Any], client_side: bool) -> Actor:
        wanted = order["client_id"] if client_side else order["freelancer_id"]
        return next(a for a in self.clients + self.newcomers + self.freelancers if a.id == wanted)

    # ---- rules ------------------------------------------------------------------------------

    @initialize(c=st.integers(0, 2), f=st.integers(0, 1), amount=st.integers(1, 300_000))
    def start_with_a_funded_order(self, c: int, f: int, amount: int) -> None:
        """c 2: a new client, whose first payment the first-order coupon helps."""
        if c == 2:
            self.a_new_client_awards_a_first_order(f, amount)
        else:
            self.award_a_new_order(c, f, amount)
        self.fund(len(self.orders) - 1, notify=True)

    @initialize(c=st.integers(0, 2), f=st.integers(0, 1), amount=st.integers(1, 300_000))
    def start_with_a_disputed_order(self, c: int, f: int, amount: int) -> None:
        """Something for staff to compensate on from the first step."""
        self.start_with_a_funded_order(c, f, amount)
        self.open_dispute(len(self.orders) - 1, by_client=True)

    @precondition(lambda self: len(self.orders) < 3)  # depth over breadth
    @rule(c=st.integers(0, 1), f=st.integers(0, 1), amount=st.integers(1, 300_000))
    def award_a_new_order(self, c: int, f: int, amount: int) -> None:
        self.award(self.clients[c], self.freelancers[f], amount)

    @precondition(lambda self: len(self.orders) < 3)
    @rule(f=st.integers(0, 1), amount=st.integers(1, 300_000))
    def a_new_client_awards_a_first_order(self, f: int, amount: int) -> None:
        """A client with no payment yet: their first funding gets the first-order coupon."""
        newcomer = actor(self.server.register("client"))
        self.newcomers.append(newcomer)
        self.award(newcomer, self.freelancers[f], amount)

    def award(self, client: Actor, freelancer: Actor, amount: int) -> None:
        with self.server.db.write() as conn:
            order = orders.post_order(
                conn,
                client,
                title="修水管",
                description="厨房漏水",
                category="repair",
                tags=[],
                budget_min_fen=1,
                budget_max_fen=300_000,
                now=self.now(),
            )
            bid = bids.place_bid(
                conn, freelancer, order_id=order["id"], amount_fen=amount, days=3, now=self.now()
            )
            bids.award_bid(conn, client, order_id=order["id"], bid_id=bid["id"], now=self.now())
        self.orders.append(order["id"])

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99), notify=st.sampled_from([True, True, False]))
    def fund(self, pick: int, notify: bool) -> None:
        order = self.order(pick)
        client = self.party(order, True)
        cap = self.server.settings.first_order_coupon_fen
        self.attempt(
            lambda c: escrow.fund_order(
                c, client, order_id=order["id"], now=self.now(), coupon_cap_fen=cap
            )
        )
        if notify:
            funding.deliver_pending_notifications(self.server.db, self.server.settings, self.now())

    @rule()
    def notify_pending_payments(self) -> None:
        funding.deliver_pending_notifications(self.server.db, self.server.settings, self.now())

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99), amount=st.integers(1, 100_000))
    def add_milestone(self, pick: int, amount: int) -> None:
        order = self.order(pick)
        client = self.party(order, True)
        self.attempt(
            lambda c: escrow.add_milestone(
                c, client, order_id=order["id"], title="追加", amount_fen=amount, now=self.now()
            )
        )

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99))
    def deliver(self, pick: int) -> None:
        order = self.order(pick)
        files = [{"name": "a.jpg", "size": 1, "sha256": SHA}]
        self.attempt(
            lambda c: escrow.deliver(
                c,
                self.party(order, False),
                order_id=order["id"],
                note="好了",
                files=files,
                now=self.now(),
            )
        )

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99))
    def request_revision(self, pick: int) -> None:
        order = self.order(pick)
        self.attempt(
            lambda c: escrow.request_revision(
                c, self.party(order, True), order_id=order["id"], note="再改改", now=self.now()
            )
        )

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99))
    def accept(self, pick: int) -> None:
        order = self.order(pick)
        self.attempt(
            lambda c: escrow.accept_order(
                c, self.party(order, True), order_id=order["id"], now=self.now()
            )
        )

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99))
    def request_refund(self, pick: int) -> None:
        order = self.order(pick)
        self.attempt(
            lambda c: escrow.request_refund(
                c, self.party(order, True), order_id=order["id"], reason="不需要了", now=self.now()
            )
        )

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99))
    def approve_refund(self, pick: int) -> None:
        order = self.order(pick)
        self.attempt(
            lambda c: escrow.approve_refund(
                c, self.party(order, False), order_id=order["id"], now=self.now()
            )
        )

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99), by_client=st.booleans())
    def open_dispute(self, pick: int, by_client: bool) -> None:
        order = self.order(pick)
        self.attempt(
            lambda c: escrow.open_dispute(
                c,
                self.party(order, by_client),
                order_id=order["id"],
                reason="质量问题",
                now=self.now(),
            )
        )

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99), pct=st.integers(0, 100))
    def resolve(self, pick: int, pct: int) -> None:
        order = self.order(pick)
        self.attempt(
            lambda c: escrow.resolve_dispute(
                c, self.support, order_id=order["id"], to_freelancer_pct=pct, now=self.now()
            )
        )

    @precondition(lambda self: self.orders)
    @rule(
        pick=st.integers(0, 99),
        to=st.sampled_from(["client", "freelancer"]),
        amount=st.integers(1, 500),
        retry=st.booleans(),
    )
    def compensate_from_the_fund(self, pick: int, to: str, amount: int, retry: bool) -> None:
        order = self.order(pick)
        # a retry reuses an id already sent, with its fields: it must move nothing more
        known = [k for k, (o, t, a) in self.sent.items() if o == order["id"]] if retry else []
        if known:
            _order_id, to, amount = self.sent[known[0]]
        compensation_id = known[0] if known else str(uuid.uuid4())
        self.sent[compensation_id] = (order["id"], to, amount)

        def pay(conn: Any) -> None:
            protection.compensate(
                conn,
                self.finance,
                order_id=order["id"],
                to=to,
                amount_fen=amount,
                reason="欺诈赔付",
                compensation_id=compensation_id,
                now=self.now(),
            )
            self.compensations[compensation_id] = amount

        self.attempt(pay)

    @rule(days=st.integers(0, 16))
    def time_passes_and_auto_release_runs(self, days: int) -> None:
        self.server.clock.advance(days=days)
        escrow.auto_release_due(self.server.db, self.server.settings, self.now())

    @rule(f=st.integers(0, 1), amount=st.integers(1, 150_000))
    def withdraw(self, f: int, amount: int) -> None:
        freelancer = self.freelancers[f]
        self.attempt(
            lambda c: earnings.withdraw(c, freelancer, amount_fen=amount, otp=None, now=self.now())
        )

    @rule(
        f=st.integers(0, 1),
        slot=st.integers(0, 3),  # few ids: retries of one redemption happen
        kind=st.sampled_from(["coupon", "cash"]),
        points=st.sampled_from([100, 150, 400]),
    )
    def redeem_points(self, f: int, slot: int, kind: str, points: int) -> None:
        freelancer = self.freelancers[f]
        redemption = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{freelancer.id}/{slot}/{kind}/{points}"))
        self.attempt(
            lambda c: redemptions.redeem_points(
                c, freelancer, kind=kind, points=points, now=self.now(), redemption_id=redemption
            )
        )

    @rule(f=st.integers(0, 1), name=st.sampled_from([p.name for p in FEE_PLANS]))
    def choose_a_fee_plan(self, f: int, name: str) -> None:
        freelancer = self.freelancers[f]
        self.attempt(lambda c: fee_plans.choose_plan(c, freelancer, name, now=self.now()))

    @rule(days=st.integers(0, 31))
    def time_passes_and_plans_renew(self, days: int) -> None:
        self.server.clock.advance(days=days)
        plan_fees.run(self.server.db, self.server.settings, self.now())

    # ---- invariants -------------------------------------------------------------------------

    @invariant()
    def each_plan_period_is_billed_once_at_its_price(self) -> None:
        with self.server.db.read() as conn:
            bills = conn.execute(
                select(ledger_transfers).where(ledger_transfers.c.kind == "plan_fee")
            ).all()
            plans = {r.user_id: r for r in conn.execute(select(fee_plans_table))}
        charges = {p.monthly_charge_fen for p in FEE_PLANS if p.monthly_charge_fen}
        per_user: dict[str, int] = {}
        for bill in bills:
            user_id = bill.id.split(":")[1]
            assert bill.source == freelancer_available(user_id)
            assert bill.destination == PLATFORM_FEES and bill.amount_fen in charges
            per_user[user_id] = per_user.get(user_id, 0) + 1
        assert per_user == {u: r.periods for u, r in plans.items() if r.periods}
        for row in plans.values():  # a paid plan in force has been paid for
            if fee_plan(row.plan).monthly_charge_fen and row.paid_until is not None:
                assert row.periods >= 1

    @invariant()
    def first_order_coupons_come_in_once_and_never_become_cash(self) -> None:
        with self.server.db.read() as conn:
            moves = conn.execute(select(ledger_transfers)).all()
            coupons = {r.intent_id: r for r in conn.execute(select(first_order_coupons))}
            clients = dict(conn.execute(select(orders_table.c.id, orders_table.c.client_id)).all())
        by_id = {m.id: m for m in moves}
        came_in: dict[str, int] = {}
        per_client: dict[str, int] = {}
        for move in moves:
            if not move.id.startswith("coupon:"):
                continue
            intent_id = move.id.removeprefix("coupon:")
            row = coupons[intent_id]  # a coupon paid in is a claimed one, by its amount
            assert (row.status, row.amount_fen) == ("applied", move.amount_fen)
            funded_by = by_id[f"coupon-fund:{intent_id}"]
            assert (funded_by.source, funded_by.amount_fen) == (
                "external:platform", move.amount_fen,
            )  # fmt: skip
            assert funded_by.created_at == move.created_at  # in the credit's posting
            assert move.source == PLATFORM_PROMOTIONS
            came_in[move.milestone_id] = came_in.get(move.milestone_id, 0) + move.amount_fen
            client = clients[move.order_id]
            per_client[client] = per_client.get(client, 0) + 1
        assert all(count == 1 for count in per_client.values()), per_client
        paid_in: dict[str, int] = {}
        refunded: dict[str, int] = {}
        went_back: dict[str, int] = {}
        for move in moves:
            if move.kind == "fund":
                paid_in[move.milestone_id] = paid_in.get(move.milestone_id, 0) + move.amount_fen
            elif move.kind == "refund":
                refunded[move.milestone_id] = refunded.get(move.milestone_id, 0) + move.amount_fen
            elif move.id.startswith("coupon-back:"):
                went_back[move.milestone_id] = move.amount_fen
                assert by_id[f"coupon-return:{move.milestone_id}"].amount_fen == move.amount_fen
        assert all(back <= came_in.get(m, 0) for m, back in went_back.items())
        assert all(out <= paid_in.get(m, 0) for m, out in refunded.items()), (refunded, paid_in)

    @invariant()
    def the_books_balance(self) -> None:
        assert_ledger_sound(self.server.db)

    @invariant()
    def points_and_coupons_stay_sound(self) -> None:
        with self.server.db.read() as conn:
            balances = dict(conn.execute(select(points_balances)).all())
            entries: dict[str, int] = {}
            for user_id, amount in conn.execute(
                select(points_entries.c.user_id, points_entries.c.amount)
            ):
                entries[user_id] = entries.get(user_id, 0) + amount
            coupons = conn.execute(select(fee_coupons)).all()
            promotions = conn.scalar(
                select(ledger_accounts.c.balance_fen).where(
                    ledger_accounts.c.id == PLATFORM_PROMOTIONS
                )
            )
        assert all(balance >= 0 for balance in balances.values()), balances
        assert {u: entries.get(u, 0) for u in balances} == balances
        assert all(0 <= c.remaining_fen <= c.value_fen for c in coupons)
        assert (promotions or 0) == 0

    @invariant()
    def the_fund_holds_its_share_of_fees_less_what_it_paid(self) -> None:
        pct = self.server.settings.protection_share_pct
        with self.server.db.read() as conn:
            moves = conn.execute(select(ledger_transfers)).all()
        by_id = {m.id: m for m in moves}
        fees = {m.milestone_id: m.amount_fen for m in moves if m.kind == "fee"}
        accrued = {m.milestone_id: m.amount_fen for m in moves if m.kind == "protection"}
        assert accrued == {m: f * pct // 100 for m, f in fees.items() if f * pct // 100 > 0}
        for milestone_id in accrued:  # in the fee's posting: the same moment
            assert (
                by_id[f"protection:{milestone_id}"].created_at
                == by_id[f"fee:{milestone_id}"].created_at
            )
        paid = {m.id: m.amount_fen for m in moves if m.kind == "compensation"}
        assert paid == {f"compensation:{k}": a for k, a in self.compensations.items()}
        assert all(by_id[t].source == PLATFORM_PROTECTION for t in paid)
        held = sum(accrued.values()) - sum(paid.values())
        assert held >= 0
        with self.server.db.read() as conn:
            assert ledger_balance(conn, PLATFORM_PROTECTION) == held


def run_machine(server: Server, *, examples: int, steps: int) -> dict[str, int]:
    """Run the machine; the compensations it paid from the fund (id → fen). Two orders
    completed first give the fund something to pay from (¥70 at the default share)."""
    paid: dict[str, int] = {}
    _client, earlier, _order = completed(server, amount_fen=450_000)
    completed(server, amount_fen=450_000, freelancer=earlier)  # no first-order waiver

    def state(user: dict[str, Any]) -> Actor:
        return actor(user)

    machine = type(
        "BoundMoneyMachine",
        (MoneyMachine,),
        {
            "server": server,
            "clients": [state(server.register("client")) for _ in range(2)],
            # the one paid twice already has earnings from the start: fee plans get billed
            "freelancers": [state(earlier), state(server.register("freelancer"))],
            "support": state(staff(server, "support")),
            "finance": state(staff(server, "finance")),
            "compensations": paid,
        },
    )
    test_case = machine.TestCase
    test_case.settings = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    test_case().runTest()
    return paid


@pytest.fixture
def coupon_server(database_url: str) -> Iterator[Server]:
    """`server` with the first-order coupon on (¥20)."""
    srv = make_server(database_url, first_order_coupon_fen=2_000)
    with srv.client:
        yield srv


def test_random_money_operations_keep_the_ledger_sound(coupon_server: Server) -> None:
    # PostgreSQL round trips cost more: fewer examples keep both under a minute on a busy box.
    server = coupon_server
    paid = run_machine(server, examples=30 if server.db.is_sqlite else 20, steps=30)
    assert paid, "no compensation was paid from the fund: the run did not exercise it"
    with server.db.read() as conn:
        coupons = conn.execute(
            select(ledger_transfers.c.id).where(ledger_transfers.c.kind == "coupon")
        ).all()
    assert coupons, "no first-order coupon was paid in: the run did not exercise it"


@pytest.mark.slow
def test_many_random_money_operations_keep_the_ledger_sound(coupon_server: Server) -> None:
    run_machine(coupon_server, examples=100, steps=50)
