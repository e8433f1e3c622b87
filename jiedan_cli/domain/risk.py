"""The risk engine's rules (security.md, the seed's 3.2 交易监控 and 3.3 虚假订单与欺诈防范):
each rule a name, a weight, the actions it watches, a pure predicate over `Facts` and a reason
in plain words; `assess` adds the weights of the rules that fire and compares the score with
`Thresholds` — allow, review (held for a person: 人工审核), or block.

The server reads one `Facts` per action (one query: counts and amounts over the windows of
`RiskLimits`) and asks `assess`; nothing here does I/O. Money is in fen, durations are
`timedelta`s, and every count is of earlier events: the action being assessed is not in it.

No rule blocks on its own with the defaults (the heaviest weighs 60, block is 100): one odd
fact is for a person to look at; only independent signals together block — the seed's
account that posted at night and cancelled at once, again and again (深夜下单立即取消), or a
password changed, a new payout account and a withdrawal (an account taken over)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any, NamedTuple

from jiedan_cli.domain.account_limits import NEW_ACCOUNT_DAYS
from jiedan_cli.domain.money import format_yuan


class Action(StrEnum):
    """What the server assesses before it does it."""

    REGISTER = "register"
    POST = "post"  # an order posted (下单)
    BID = "bid"
    AWARD = "award"
    FUND = "fund"  # a milestone paid into escrow
    WITHDRAW = "withdraw"  # earnings paid out (提现)
    MESSAGE = "message"


class Decision(StrEnum):
    ALLOW = "allow"
    REVIEW = "review"  # held for manual review (人工审核)
    BLOCK = "block"

    @property
    def severity(self) -> int:
        """0, 1, 2: the order of the decisions (a StrEnum compares alphabetically)."""
        return list(Decision).index(self)


@dataclass(frozen=True)
class Facts:
    """What the server knows about the account at the moment of one action. Windows are
    those of `RiskLimits`; counts never include this action. The server reads only the
    fields the rules watching the action read (`facts_read`); the others keep their
    defaults, the neutral value that fires no rule."""

    account_age: timedelta
    verified: bool  # real-name verification (实名认证) approved
    # This action's money: the order's budget (post), the quote (bid), the order's total
    # (award), the milestone (fund), the withdrawal (withdraw); 0 for register and message.
    amount_fen: int
    # The account's median amount for this kind of action over `norm_window`; None with
    # fewer than three earlier ones (no norm yet).
    usual_amount_fen: int | None = None
    actions_in_burst_window: int = 0  # posts, bids, awards, funds, withdrawals, messages
    orders_posted_in_window: int = 0  # over `post_window`
    bids_in_window: int = 0  # over `bid_window`
    withdrawals_in_window: int = 0  # over `withdrawal_window`
    message_recipients_in_window: int = 0  # distinct people written to over `message_window`
    # orders posted and cancelled by this account within `quick_cancel_within` of posting,
    # over `cancel_window`; of those, the ones posted at night (`at_night`)
    quick_cancels: int = 0
    night_quick_cancels: int = 0
    compensation_claims: int = 0  # refunds asked and disputes opened, over `claim_window`
    contact_leaks: int = 0  # messages and bids whose contact details were masked, `leak_window`
    # distinct accounts (this one included) seen on this device / from this address, over
    # `link_window`; 1 where the server has no device id
    accounts_on_device: int = 1
    accounts_on_address: int = 1
    # award and fund: the other party was seen on one of this account's installs (a shared
    # address alone is not a link: offices, campuses and 网吧 share one); False otherwise
    counterpart_linked: bool = False
    # award and fund: earlier orders with the same counterpart, over `cycle_window`, funded
    # and then accepted within `fast_cycle_within`
    fast_cycles_with_counterpart: int = 0
    since_credential_change: timedelta | None = None  # password or 2FA; None: never changed
    # withdraw: how long the payout account is on file (None: unknown or never changed)
    payout_account_age: timedelta | None = None
    # this action's network (a /16 of IPv4, a /32 of IPv6) not seen for this account over
    # `location_window`, while it was seen elsewhere before (no history: not unfamiliar)
    unfamiliar_location: bool = False


FACT_NAMES = frozenset(spec.name for spec in fields(Facts))
# read for every action: the users row and the action's own amount cost nothing more
ALWAYS_READ = frozenset({"account_age", "verified", "amount_fen"})


@dataclass(frozen=True)
class RiskLimits:
    """The windows the server counts over and the counts and amounts the rules fire at.
    Defaults here; the server's configuration may set each one."""

    new_account_age: timedelta = timedelta(days=NEW_ACCOUNT_DAYS)
    large_amount_fen: int = 500_000  # ¥5,000: as account_limits' caps on a new account
    unverified_large_amount_fen: int = 2_000_000  # ¥20,000
    norm_window: timedelta = timedelta(days=90)
    above_norm_factor: int = 5
    above_norm_floor_fen: int = 100_000  # ¥1,000: five times a ¥50 habit is no alarm
    burst_account_age: timedelta = timedelta(days=7)
    burst_window: timedelta = timedelta(hours=1)
    burst_actions: int = 30
    post_window: timedelta = timedelta(hours=1)
    posts: int = 10
    # A script bidding on every new match is what power users do (spec README): 20 a
    # minute is past any person and most honest scripts.
    bid_window: timedelta = timedelta(minutes=1)
    bids: int = 20
    withdrawal_window: timedelta = timedelta(days=1)
    withdrawals: int = 3
    message_window: timedelta = timedelta(hours=1)
    message_recipients: int = 20
    quick_cancel_within: timedelta = timedelta(minutes=30)
    cancel_window: timedelta = timedelta(days=7)
    quick_cancels: int = 3
    night_quick_cancels: int = 2
    claim_window: timedelta = timedelta(days=30)
    claims: int = 3
    leak_window: timedelta = timedelta(days=7)
    leaks: int = 3
    link_window: timedelta = timedelta(days=30)
    accounts_on_device: int = 3
    accounts_on_address: int = 5  # lower weight: a campus, an office or a 网吧 shares one
    cycle_window: timedelta = timedelta(days=30)
    fast_cycle_within: timedelta = timedelta(minutes=30)
    fast_cycles: int = 3
    credential_cooldown: timedelta = timedelta(days=1)
    new_payout_account_age: timedelta = timedelta(days=3)
    location_window: timedelta = timedelta(days=90)


def parse_limits(given: str) -> RiskLimits:
    """`"bids=1,large_amount_fen=100"` → RiskLimits with those counts and amounts (whole
    numbers; the windows keep their defaults). ValueError names what is wrong."""
    defaults = RiskLimits()
    counts = {f.name for f in fields(defaults) if isinstance(getattr(defaults, f.name), int)}
    changes: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in given.split(","))):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in counts:
            raise ValueError(f"{name!r} is not one of {', '.join(sorted(counts))}")
        if not value.strip().isdigit() or int(value) <= 0:
            raise ValueError(f"{name}: a whole number above 0")
        changes[name] = int(value)
    return replace(defaults, **changes)


# 深夜: the small hours in China's time (UTC+8 all year, no summer time)
CHINA_TIME = timezone(timedelta(hours=8))
NIGHT_STARTS = time(0)
NIGHT_ENDS = time(6)


def at_night(moment: datetime) -> bool:
    """Whether an aware `moment` falls between NIGHT_STARTS and NIGHT_ENDS, China time."""
    local = moment.astimezone(CHINA_TIME).time()
    return NIGHT_STARTS <= local < NIGHT_ENDS


@dataclass(frozen=True)
class Rule:
    name: str  # a stable slug: staff filter the queue by it
    weight: int
    applies_to: frozenset[Action]
    predicate: Callable[[Facts], bool] = field(repr=False)
    reason: str  # plain words for the user and the reviewer
    # The `Facts` fields the predicate reads: the server reads only those of the rules that
    # watch an action (`facts_read`). A test checks the predicate depends on no other field.
    reads: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.weight <= 0 or not self.applies_to:
            raise ValueError(f"rule {self.name}: a positive weight and at least one action")
        unknown = set(self.reads) - FACT_NAMES
        if unknown:
            raise ValueError(f"rule {self.name}: reads no such fact {sorted(unknown)}")


@dataclass(frozen=True)
class Thresholds:
    """The score at which an action is held for review, and at which it is blocked."""

    review: int = 50
    block: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.block:
            raise ValueError("thresholds: 0 < review <= block")


class Fired(NamedTuple):
    name: str
    weight: int
    reason: str


@dataclass(frozen=True)
class Assessment:
    decision: Decision
    score: int
    fired: tuple[Fired, ...]


def _actions(*names: Action) -> frozenset[Action]:
    return frozenset(names)


ALL = frozenset(Action)
MONEY = _actions(Action.POST, Action.AWARD, Action.FUND, Action.WITHDRAW)
COUNTERPART = _actions(Action.AWARD, Action.FUND)
WRITES = ALL - {Action.REGISTER}


def _young(facts: Facts, age: timedelta) -> bool:
    return facts.account_age < age


def _within(elapsed: timedelta | None, limit: timedelta) -> bool:
    return elapsed is not None and elapsed < limit


def _above_norm(facts: Facts, limits: RiskLimits) -> bool:
    usual = facts.usual_amount_fen
    return (
        usual is not None
        and facts.amount_fen >= limits.above_norm_floor_fen
        and facts.amount_fen >= limits.above_norm_factor * usual
    )


def _span(span: timedelta) -> str:
    """`timedelta(hours=1)` → "an hour", `timedelta(days=7)` → "7 days": for a reason."""
    for unit, one, many in (
        (timedelta(days=1), "a day", "days"),
        (timedelta(hours=1), "an hour", "hours"),
        (timedelta(minutes=1), "a minute", "minutes"),
    ):
        if span % unit == timedelta(0) and span >= unit:
            count = span // unit
            if unit == timedelta(days=1) and count == 1:
                return "24 hours"
            return one if count == 1 else f"{count} {many}"
    return f"{span.total_seconds():g} seconds"


def rules_for(limits: RiskLimits) -> tuple[Rule, ...]:
    """The rules, with `limits`' counts and amounts in their predicates and reasons."""
    lim = limits
    large, big = format_yuan(lim.large_amount_fen), format_yuan(lim.unverified_large_amount_fen)
    return (
        Rule(
            "quick_cancels",
            50,
            _actions(Action.POST),
            lambda f: f.quick_cancels >= lim.quick_cancels,
            f"{lim.quick_cancels} or more orders cancelled within"
            f" {_span(lim.quick_cancel_within)} of posting"
            f" in {_span(lim.cancel_window)} (频繁取消订单)",
            reads=("quick_cancels",),
        ),
        Rule(
            "night_quick_cancels",
            50,
            _actions(Action.POST),
            lambda f: f.night_quick_cancels >= lim.night_quick_cancels,
            f"{lim.night_quick_cancels} or more orders posted late at night and cancelled"
            f" at once in {_span(lim.cancel_window)} (深夜下单立即取消)",
            reads=("night_quick_cancels",),
        ),
        Rule(
            "compensation_claims",
            40,
            MONEY,
            lambda f: f.compensation_claims >= lim.claims,
            f"{lim.claims} or more refunds asked or disputes opened"
            f" in {_span(lim.claim_window)} (频繁索要赔偿)",
            reads=("compensation_claims",),
        ),
        Rule(
            "new_account_large_amount",
            50,
            MONEY,
            lambda f: _young(f, lim.new_account_age) and f.amount_fen >= lim.large_amount_fen,
            f"¥{large} or more from an account younger than {_span(lim.new_account_age)}"
            " (新账号大额)",
            reads=("account_age", "amount_fen"),
        ),
        Rule(
            "unverified_large_amount",
            30,
            _actions(Action.FUND, Action.WITHDRAW),
            lambda f: not f.verified and f.amount_fen >= lim.unverified_large_amount_fen,
            f"¥{big} or more from an account without real-name verification (实名认证)",
            reads=("verified", "amount_fen"),
        ),
        Rule(
            "amount_above_norm",
            30,
            MONEY,
            lambda f: _above_norm(f, lim),
            f"{lim.above_norm_factor} times or more this account's usual amount (突然出现的大额)",
            reads=("usual_amount_fen", "amount_fen"),
        ),
        Rule(
            "unfamiliar_location",
            20,
            MONEY,
            lambda f: f.unfamiliar_location,
            f"signed in from a place not seen in {_span(lim.location_window)} (异地登录)",
            reads=("unfamiliar_location",),
        ),
        Rule(
            "new_account_burst",
            50,
            WRITES,
            lambda f: (
                _young(f, lim.burst_account_age) and f.actions_in_burst_window >= lim.burst_actions
            ),
            f"{lim.burst_actions} or more actions in {_span(lim.burst_window)} from an account"
            f" younger than {_span(lim.burst_account_age)} (异常活跃的新账号)",
            reads=("account_age", "actions_in_burst_window"),
        ),
        Rule(
            "shared_device",
            50,
            ALL,
            lambda f: f.accounts_on_device >= lim.accounts_on_device,
            f"{lim.accounts_on_device} or more accounts used on this device"
            f" in {_span(lim.link_window)} (同一设备多个账号)",
            reads=("accounts_on_device",),
        ),
        Rule(
            "shared_address",
            20,
            ALL,
            lambda f: f.accounts_on_address >= lim.accounts_on_address,
            f"{lim.accounts_on_address} or more accounts used from this network address"
            f" in {_span(lim.link_window)}",
            reads=("accounts_on_address",),
        ),
        Rule(
            "post_velocity",
            50,
            _actions(Action.POST),
            lambda f: f.orders_posted_in_window >= lim.posts,
            f"{lim.posts} or more orders posted in {_span(lim.post_window)}",
            reads=("orders_posted_in_window",),
        ),
        Rule(
            "bid_velocity",
            50,
            _actions(Action.BID),
            lambda f: f.bids_in_window >= lim.bids,
            f"{lim.bids} or more quotes in {_span(lim.bid_window)}",
            reads=("bids_in_window",),
        ),
        Rule(
            "withdrawal_velocity",
            50,
            _actions(Action.WITHDRAW),
            lambda f: f.withdrawals_in_window >= lim.withdrawals,
            f"{lim.withdrawals} or more withdrawals in {_span(lim.withdrawal_window)}",
            reads=("withdrawals_in_window",),
        ),
        Rule(
            "message_fanout",
            50,
            _actions(Action.MESSAGE),
            lambda f: f.message_recipients_in_window >= lim.message_recipients,
            f"messages to {lim.message_recipients} or more people in {_span(lim.message_window)}",
            reads=("message_recipients_in_window",),
        ),
        Rule(
            "contact_leaks",
            30,
            _actions(Action.MESSAGE, Action.BID),
            lambda f: f.contact_leaks >= lim.leaks,
            f"contact details masked in {lim.leaks} or more messages or quotes"
            f" in {_span(lim.leak_window)} (escrow protects both sides)",
            reads=("contact_leaks",),
        ),
        Rule(
            "linked_counterpart",
            60,
            COUNTERPART,
            lambda f: f.counterpart_linked,
            "the other party uses the same device (install) as this one",
            reads=("counterpart_linked",),
        ),
        Rule(
            "fast_cycles",
            60,
            COUNTERPART,
            lambda f: f.fast_cycles_with_counterpart >= lim.fast_cycles,
            f"{lim.fast_cycles} or more orders with the same party funded and accepted within"
            f" {_span(lim.fast_cycle_within)}"
            f" in {_span(lim.cycle_window)}",
            reads=("fast_cycles_with_counterpart",),
        ),
        Rule(
            "withdrawal_after_credential_change",
            60,
            _actions(Action.WITHDRAW),
            lambda f: _within(f.since_credential_change, lim.credential_cooldown),
            f"a withdrawal within {_span(lim.credential_cooldown)} of a password or"
            " two-factor change",
            reads=("since_credential_change",),
        ),
        Rule(
            "new_payout_account",
            40,
            _actions(Action.WITHDRAW),
            lambda f: _within(f.payout_account_age, lim.new_payout_account_age),
            f"a payout account added less than {_span(lim.new_payout_account_age)} ago",
            reads=("payout_account_age",),
        ),
    )


RULES: tuple[Rule, ...] = rules_for(RiskLimits())


def facts_read(action: Action, rules: Iterable[Rule] = RULES) -> frozenset[str]:
    """The `Facts` fields the rules watching `action` read, and ALWAYS_READ: what the server
    reads for it; the others keep their neutral defaults."""
    needed = {name for rule in rules if action in rule.applies_to for name in rule.reads}
    return frozenset(needed) | ALWAYS_READ


def decide(score: int, thresholds: Thresholds) -> Decision:
    if score >= thresholds.block:
        return Decision.BLOCK
    return Decision.REVIEW if score >= thresholds.review else Decision.ALLOW


def assess(
    action: Action,
    facts: Facts,
    rules: Iterable[Rule] = RULES,
    thresholds: Thresholds = Thresholds(),
) -> Assessment:
    """The rules that watch `action` and fire on `facts`, their summed weight, the decision."""
    fired = tuple(
        Fired(rule.name, rule.weight, rule.reason)
        for rule in rules
        if action in rule.applies_to and rule.predicate(facts)
    )
    score = sum(f.weight for f in fired)
    return Assessment(decide(score, thresholds), score, fired)
