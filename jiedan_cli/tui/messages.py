"""What workers tell the app: small dataclass messages (Textual runs Message.__post_init__
for dataclasses), each posted once with everything a handler needs — workers never touch
widgets or app state themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from jiedan_cli.store.news import NewsItem

Item = dict[str, Any]


# ---- sync --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxSnapshot:
    """store.verdicts.sync_status(): what waits to be sent, what was refused, what a
    reviewer holds, the last pull."""

    pending: int = 0
    rejected: tuple[Item, ...] = ()
    last_sync_at: str | None = None
    held: tuple[Item, ...] = ()

    @classmethod
    def of(cls, status: dict[str, Any]) -> OutboxSnapshot:
        return cls(
            status["pending"],
            tuple(status["rejected"]),
            status["last_sync_at"],
            tuple(status.get("held") or ()),
        )


@dataclass
class SyncStateRead(Message):
    """The outbox as it is now, and how the last attempt to sync went.

    `outcome`: "read" (no sync tried: after a local action or at start), "synced",
    "offline" (the server could not be reached or failed) or "signed_out"."""

    outbox: OutboxSnapshot
    outcome: str = "read"
    error: str | None = None
    changed: bool = False  # a sync pushed, pulled or had something refused
    complete: bool = True  # False: the sync stopped early (deadline) and resumes next round


@dataclass
class SyncWorking(Message):
    """A long sync under way: changes pulled so far in this round (a first sync of a big
    market takes a while; the board fills as pages commit)."""

    pulled: int


@dataclass
class NewsArrived(Message):
    """What happened to the user since the last look (store/news.py), after a sync."""

    items: list[NewsItem]


# ---- reads ---------------------------------------------------------------------------------------


@dataclass
class OrdersLoaded(Message):
    serial: int  # which request this answers: stale answers are dropped
    query: str
    orders: list[Item]
    limit: int
    seconds: float  # time spent in the query
    place: tuple[float, float] | None = None  # where the user is (their profile), if set
    me: str | None = None  # the signed-in user


@dataclass(frozen=True)
class OrderWork:
    """What the parties of an order see of the work on it, as store.queries reads it."""

    milestones: list[Item] = field(default_factory=list)  # in their order
    events: list[Item] = field(default_factory=list)  # order_history, oldest first
    deliveries: list[Item] = field(default_factory=list)  # oldest first, queued ones included
    reviews: list[Item] = field(default_factory=list)  # mine, and theirs once revealed
    dispute: Item | None = None  # the latest


@dataclass
class PreviewClient(Message):
    """The client of the board's previewed order: their profile (None: not known)."""

    order_id: str
    client_id: str
    profile: Item | None


@dataclass
class OrderLoaded(Message):
    order_id: str
    order: Item | None
    bids: list[Item]
    messages: list[Item]
    me: str | None
    client_profile: Item | None = None
    work: OrderWork = field(default_factory=OrderWork)


@dataclass
class WorkLoaded(Message):
    bids: list[Item]  # mine, newest first
    orders: dict[str, Item]  # the orders those bids are on, by id
    awarded: list[Item]  # orders awarded to me
    work: dict[str, OrderWork] = field(default_factory=dict)  # by awarded order id
    me: str | None = None


@dataclass
class EarningsLoaded(Message):
    summary: Item | None
    ledger: list[Item]  # oldest first
    error: str | None = None
    by_month: list[tuple[str, int]] = field(default_factory=list)  # (YYYY-MM, fen earned)


@dataclass
class PointsLoaded(Message):
    points: Item | None
    history: list[Item]
    error: str | None = None
    profile: Item | None = None  # mine, as pulled
    account: Item | None = None  # my account, as pulled (roles, two-factor sign-in)
    checkin: Item | None = None  # today's check-in: store.earnings.checkin_today
    campaigns: list[Item] = field(default_factory=list)  # store.campaigns.current_campaigns
    calendar: list[list[Item]] = field(default_factory=list)  # store.earnings.checkin_calendar


@dataclass
class TermsLoaded(Message):
    """From the server (online): my fee plan (GET /v1/fees/plan), the next points to
    expire (GET /v1/points' `expiring`) and my referral code with whom it brought
    (GET /v1/me/referral); all None offline."""

    plan: Item | None
    expiring: Item | None = None
    referral: Item | None = None


@dataclass
class FeePlanChosen(Message):
    """The server's answer to a fee plan's choice (sync.fee_plans.choose_fee_plan): the plan
    now in force, or None and why not."""

    plan: Item | None
    error: str = ""


@dataclass
class ProfileSaved(Message):
    profile: Item | None  # None: not saved
    error: str | None = None


@dataclass
class TwoFactorStarted(Message):
    started: Item | None  # {secret, otpauth_uri}; None: the server did not start it
    error: str = ""
    code: str = ""  # the refusal's code ("bad_credentials": a wrong password)


@dataclass
class TwoFactorChanged(Message):
    turning_on: bool
    account: Item | None  # the account as the server now has it; None: refused
    error: str = ""
    started: Item | None = None  # turning on: the secret the code was for, to ask again


@dataclass
class CouponLoaded(Message):
    """From the server (online): the client's first-order coupon (新客首单券) standing
    (GET /v1/me/first-order-coupon: `status` available, applied, withheld, not_eligible or
    off, with `amount_fen`, the most it is worth)."""

    coupon: Item


@dataclass
class ClientLoaded(Message):
    orders: list[Item]  # orders I posted, newest first
    bids: dict[str, list[Item]] = field(default_factory=dict)  # by order id
    profiles: dict[str, Item] = field(default_factory=dict)  # the bidders the replica knows
    can_post: bool = True  # False once the account's roles are pulled and lack "client"
    milestones: dict[str, list[Item]] = field(default_factory=dict)  # by order id, once awarded
    # by order id, once awarded: the milestones' statuses with queued moves taken
    # (store.actions.milestone_statuses), what the moves offered are judged by
    statuses: dict[str, list[str]] = field(default_factory=dict)


# ---- actions -------------------------------------------------------------------------------------


@dataclass
class ActionDone(Message):
    """A store.actions call saved its change (and queued it for sync); `warnings`: the
    dispute-risk warnings (纠纷预警) of the move, in words."""

    action: str
    shown: Item
    warnings: tuple[str, ...] = ()


@dataclass
class ActionRefused(Message):
    """A store.actions call refused (a domain error): `field` names the input at fault."""

    action: str
    message: str
    field: str | None = None


# ---- earnings: withdraw and export ---------------------------------------------------------------


@dataclass
class WithdrawalDone(Message):
    payout: Item  # the server's answer: amount_fen, and available_fen left to withdraw


@dataclass
class WithdrawalFailed(Message):
    amount_fen: int
    message: str
    code: str  # the error's code: "offline", "otp_required", "bad_otp", "insufficient_funds"…
    offline: bool = False  # the server could not be reached


@dataclass
class LedgerExported(Message):
    path: str
    lines: int


@dataclass
class LedgerExportFailed(Message):
    message: str


# ---- signing in (tui/sign_in.py) ----------------------------------------------------------------


@dataclass
class SignedIn(Message):
    user: Item


@dataclass
class SignInFailed(Message):
    email: str
    message: str
    code: str  # the error's code: "unauthenticated", "otp_required", "server_unreachable"…
    field: str | None = None  # the field the server named
    registering: bool = False  # the new-account form, not the sign-in one
    name: str = ""  # what was typed there, kept for the form shown again
    referral: str = ""  # the referral code typed there, likewise
