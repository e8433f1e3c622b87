"""Every table of the server, as SQLAlchemy Core. Alembic's migrations are generated from
this file (`make migration`) and a test checks they agree.

Money columns are BIGINT fen; times are aware UTC; ids are UUIDv7 strings made by whoever
creates the object (the client for things made offline)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from jiedan_cli.server.db.types import BigSerial, JSONText, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 36  # a UUID string

server_meta = Table(
    "server_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row a scheduled job: the last period a process claimed it for, so that every process
# may run the scheduler and each job still runs once a period (jobs/scheduler.py).
job_runs = Table(
    "job_runs",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("period", BigInteger, nullable=False),
    Column("runs", BigInteger, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
)

# ---- accounts ---------------------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    # comma-separated: client, freelancer, support, finance, reviewer, admin
    Column("roles", String(100), nullable=False),
    Column("status", String(20), nullable=False, server_default="active"),  # active|deleted
    Column("totp_secret", String(200)),  # encrypted with the server key
    Column("totp_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("totp_last_step", BigInteger),
    Column("verification", String(20), nullable=False, server_default="none"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime),
)

# A session is known to its owner by `id` (listed, revoked one by one), never by its token.
# `last_seen_at` moves at most once per services/sessions.SEEN_EVERY, not on every request.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("id", String(ID), nullable=False, unique=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("device", String(100), nullable=False, server_default=""),
    Column("address", String(64), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", BigSerial, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    Column("address", String(64), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_login_attempts_email_at", "email", "at"),
    Index("ix_login_attempts_address_at", "address", "at"),
)

# Which accounts are used on which install and from which address (#12): the client's
# X-Jiedan-Install id ("" when it sent none, or one not of its shape), the address as the app
# derives it, first and last seen. Written on sign-in, registration and sync (at most once per
# LINK_EVERY a row for sync: services/devices.py); read by the risk engine's linked counts.
account_devices = Table(
    "account_devices",
    metadata,
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    # the address's network (services/devices.network_of: /16 IPv4, /32 IPv6), the risk
    # engine's "region" for unfamiliar_location; "" for no IP address
    Column("network", String(64), nullable=False, server_default=""),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("user_id", "device_id", "address"),
    Index("ix_account_devices_device_seen", "device_id", "last_seen_at"),
    Index("ix_account_devices_address_seen", "address", "last_seen_at"),
)

profiles = Table(
    "profiles",
    metadata,
    Column("user_id", String(ID), ForeignKey("users.id"), primary_key=True),
    Column("skills", JSONText, nullable=False, server_default="[]"),
    Column("bio", Text, nullable=False, server_default=""),
    Column("city", String(100)),
    Column("lat", Float),
    Column("lon", Float),
    Column("hourly_rate_fen", BigInteger),
    Column("rating_count", Integer, nullable=False, server_default="0"),
    Column("rating_sum", Integer, nullable=False, server_default="0"),
    Column("completed_count", Integer, nullable=False, server_default="0"),
    Column("updated_at", UTCDateTime, nullable=False),
)

portfolio_items = Table(
    "portfolio_items",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("url", String(2000)),
    Column("description", Text, nullable=False, server_default=""),
    Column("public", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UTCDateTime, nullable=False),
)

verifications = Table(
    "verifications",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("real_name", String(200), nullable=False),
    Column("id_number_encrypted", Text, nullable=False),
    Column("id_number_last4", String(4), nullable=False),
    Column("certificates", JSONText, nullable=False, server_default="[]"),
    Column("status", String(20), nullable=False),  # pending|approved|rejected
    Column("reviewed_by", String(ID)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("reviewed_at", UTCDateTime),
)

# ---- the marketplace --------------------------------------------------------------------

orders = Table(
    "orders",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("client_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(50), nullable=False),
    Column("tags", JSONText, nullable=False, server_default="[]"),
    Column("budget_min_fen", BigInteger, nullable=False),
    Column("budget_max_fen", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("deadline", Date),
    Column("lat", Float),
    Column("lon", Float),
    Column("radius_km", Float),
    Column("bid_count", Integer, nullable=False, server_default="0"),
    Column("awarded_bid_id", String(ID)),
    Column("freelancer_id", String(ID), ForeignKey("users.id"), index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_orders_status_created", "status", "created_at"),
    # a client's orders, and the risk engine's counts of them over a window
    Index("ix_orders_client_created", "client_id", "created_at"),
    Index("ix_orders_category_status", "category", "status"),
    # the bounding-box prefilter of `orders list --near`
    Index("ix_orders_lat_lon", "lat", "lon"),
)

bids = Table(
    "bids",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey("orders.id"), nullable=False, index=True),
    Column("freelancer_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("days", Integer, nullable=False),
    Column("message", Text, nullable=False, server_default=""),
    Column("status", String(20), nullable=False),
    # contact details were masked in the message as it was placed (the risk engine's
    # contact_leaks counts these with flagged messages)
    Column("flagged", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # One live bid per freelancer per order.
    Index(
        "uq_bids_live",
        "order_id",
        "freelancer_id",
        unique=True,
        sqlite_where=text("status IN ('submitted', 'awarded')"),
        postgresql_where=text("status IN ('submitted', 'awarded')"),
    ),
    # a freelancer's bids, and the risk engine's counts of them over a window; its flagged
    # ones by an equality on flagged (SQLite, without statistics, did not choose a partial
    # index and read every recent bid's row instead)
    Index("ix_bids_freelancer_created", "freelancer_id", "created_at"),
    Index("ix_bids_freelancer_flagged", "freelancer_id", "flagged", "created_at"),
)

milestones = Table(
    "milestones",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey("orders.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("payment_intent_id", String(64)),
    Column("funded_at", UTCDateTime),
    Column("submitted_at", UTCDateTime),
    Column("settled_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_milestones_status_submitted", "status", "submitted_at"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey("orders.id"), nullable=False, index=True),
    Column("milestone_id", String(ID), ForeignKey("milestones.id")),
    Column("freelancer_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("note", Text, nullable=False),
    Column("files", JSONText, nullable=False, server_default="[]"),  # [{name, size, sha256}]
    Column("created_at", UTCDateTime, nullable=False),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey("orders.id"), nullable=False, index=True),
    Column("actor_id", String(ID), ForeignKey("users.id")),
    Column("kind", String(40), nullable=False),  # revision_requested, cancelled, refund_requested…
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    # the risk engine's refunds asked by one account (services/risk_facts.py)
    Index("ix_order_events_actor_kind_created", "actor_id", "kind", "created_at"),
)

disputes = Table(
    "disputes",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey("orders.id"), nullable=False, index=True),
    Column("opened_by", String(ID), ForeignKey("users.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(20), nullable=False),  # open|resolved
    Column("to_freelancer_pct", Integer),
    Column("resolved_by", String(ID)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Index("ix_disputes_opened_by_created", "opened_by", "created_at"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey("orders.id"), nullable=False, index=True),
    Column("sender_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("recipient_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("flagged", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTCDateTime, nullable=False),
    # the risk engine's counts of what one account wrote lately (services/risk_facts.py)
    Index("ix_messages_sender_created", "sender_id", "created_at"),
    Index("ix_messages_sender_flagged", "sender_id", "flagged", "created_at"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey("orders.id"), nullable=False),
    Column("author_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("subject_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("stars", Integer, nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("flagged", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTCDateTime, nullable=False),
    # Blind until both sides reviewed or review_blind_days passed; the subject's rating
    # counts a review only from then, so the average cannot give its stars away early.
    Column("revealed_at", UTCDateTime),
    UniqueConstraint("order_id", "author_id", name="uq_reviews_order_author"),
    Index("ix_reviews_revealed_created", "revealed_at", "created_at"),
)

# ---- money ------------------------------------------------------------------------------

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", String(120), primary_key=True),  # e.g. escrow:<milestone>
    Column("owner_id", String(ID), index=True),
    Column("balance_fen", BigInteger, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
)

ledger_transfers = Table(
    "ledger_transfers",
    metadata,
    Column("id", String(120), primary_key=True),  # chosen before submission: idempotency
    Column("source", String(120), ForeignKey("ledger_accounts.id"), nullable=False, index=True),
    Column(
        "destination", String(120), ForeignKey("ledger_accounts.id"), nullable=False, index=True
    ),
    Column("amount_fen", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("order_id", String(ID)),
    Column("milestone_id", String(ID)),
    Column("created_at", UTCDateTime, nullable=False),
)

payment_intents = Table(
    "payment_intents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("provider", String(40), nullable=False),
    Column("order_id", String(ID), ForeignKey("orders.id"), nullable=False, index=True),
    Column("milestone_id", String(ID), ForeignKey("milestones.id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),  # pending|succeeded|failed
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

payment_events = Table(
    "payment_events",
    metadata,
    Column("event_id", String(100), primary_key=True),  # deduplicates notifications
    Column("provider", String(40), nullable=False),
    Column("intent_id", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

payouts = Table(
    "payouts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("provider", String(40), nullable=False),
    Column("provider_ref", String(64)),  # the provider's payout id, for reconciliation
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_payouts_user_created", "user_id", "created_at"),
)

points_balances = Table(
    "points_balances",
    metadata,
    Column("user_id", String(ID), ForeignKey("users.id"), primary_key=True),
    Column("balance", BigInteger, nullable=False, server_default="0"),
)

points_entries = Table(
    "points_entries",
    metadata,
    Column("id", String(120), primary_key=True),  # idempotent: e.g. completion:<order>:<user>
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("order_id", String(ID)),
    Column("created_at", UTCDateTime, nullable=False),
)

# Referral codes (推荐好友, #13): one per account, made on first ask; a registration may name
# one. The referral is settled once, when the referee completes a first order: `rewarded`
# (both got `reward_points`, fixed when the referee registered) or `withheld` with the
# reason (a referral ring: the two accounts share an install). services/referrals.py.
referral_codes = Table(
    "referral_codes",
    metadata,
    Column("user_id", String(ID), ForeignKey("users.id"), primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

referrals = Table(
    "referrals",
    metadata,
    Column("referee_id", String(ID), ForeignKey("users.id"), primary_key=True),
    Column("referrer_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("reward_points", BigInteger, nullable=False),
    Column("status", String(20), nullable=False, server_default="pending"),
    Column("reason", String(200)),
    Column("order_id", String(ID)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("settled_at", UTCDateTime),
)

# Campaigns (积分翻倍, 周末特惠, 节日专场, #13): a window [starts_at, ends_at) in which points
# are multiplied or the commission rate is lowered (domain/campaigns.py). Ending one early
# moves ends_at to the moment (ended_at, ended_by say who). Public through the change log.
campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(60), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("multiplier", Integer, nullable=False, server_default="1"),
    Column("discount_bp", Integer, nullable=False, server_default="0"),
    Column("category", String(40)),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_by", String(ID), ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_by", String(ID), ForeignKey("users.id")),
    Column("ended_at", UTCDateTime),
    Index("ix_campaigns_ends_starts", "ends_at", "starts_at"),
)

# Fee coupons bought with points (积分兑换, #13): `remaining_fen` comes off the fee of the
# owner's next releases (oldest coupon first) until it is used up. The id is the
# redemption's, chosen by the client (services/redemptions.py).
fee_coupons = Table(
    "fee_coupons",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("value_fen", BigInteger, nullable=False),
    Column("remaining_fen", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Index("ix_fee_coupons_user_created", "user_id", "created_at"),
)

# The fee plan each freelancer chose (`jiedan fees plan choose`, domain/fees.FEE_PLANS); no
# row is the default plan (commission). A plan with a monthly charge is paid through
# `paid_until`: billed at choosing, then each period by jobs/plan_fees.py (`periods` counts
# the bills, naming each one's transfer); one the earnings cannot cover lapses to commission.
fee_plans = Table(
    "fee_plans",
    metadata,
    Column("user_id", String(ID), ForeignKey("users.id"), primary_key=True),
    Column("plan", String(20), nullable=False),
    Column("chosen_at", UTCDateTime, nullable=False),
    Column("paid_until", UTCDateTime),
    Column("periods", Integer, nullable=False, server_default="0"),
    Column("lapsed_from", String(20)),
    Column("lapsed_at", UTCDateTime),
    Index("ix_fee_plans_paid_until", "paid_until"),
)

# The clients' first-order coupon (新客首单券, services/first_order_coupons.py): one row per
# client, written when their first payment is asked for — `applied` (the coupon's amount comes
# off the payment intent, the platform pays it into escrow at the credit) or `withheld` (the
# install is shared with an account that used one; amount 0, the reason kept). The row is the
# once-only guard: a client has at most one, whatever becomes of the order.
first_order_coupons = Table(
    "first_order_coupons",
    metadata,
    Column("user_id", String(ID), ForeignKey("users.id"), primary_key=True),
    Column("order_id", String(ID), ForeignKey("orders.id"), nullable=False),
    Column("milestone_id", String(ID), nullable=False),
    Column("intent_id", String(ID)),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("reason", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
)

# ---- plumbing: idempotency, sync, audit --------------------------------------------------

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(64), primary_key=True),  # hash of the bearer token, or "anonymous"
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),  # NULL while the first request is in flight
    Column("headers", JSONText),
    Column("body", Text),
    Column("created_at", UTCDateTime, nullable=False),
)

change_log = Table(
    "change_log",
    metadata,
    # The pull cursor is (txid, seq) (services/changes.py): on PostgreSQL `txid` is the writing
    # transaction's id (pg_current_xact_id), on SQLite 0 (writers are serialised, so seq
    # order is commit order there).
    Column("seq", BigSerial, primary_key=True, autoincrement=True),
    Column("txid", BigInteger, nullable=False, server_default="0"),
    Column("entity", String(30), nullable=False),
    Column("entity_id", String(120), nullable=False),
    Column("op", String(10), nullable=False),  # put|delete
    Column("payload", JSONText),
    Column("public", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Pull reads public changes after a cursor with one range scan of this partial index;
    # a caller's private changes come from change_audience's (user_id, txid, seq) index.
    Index(
        "ix_change_log_public_txid_seq",
        "txid",
        "seq",
        sqlite_where=text("public = 1"),
        postgresql_where=text("public"),
    ),
    # A change superseded by a newer one of the same object (services/sync_pull.py).
    Index("ix_change_log_entity", "entity", "entity_id", "seq"),
)

change_audience = Table(
    "change_audience",
    metadata,
    Column("user_id", String(ID), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("txid", BigInteger, nullable=False, server_default="0"),
    Index("ix_change_audience_user_txid_seq", "user_id", "txid", "seq"),
)

sync_clients = Table(
    "sync_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("last_seq", BigInteger, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
)

sync_ops = Table(
    "sync_ops",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("op_id", String(64), nullable=False, unique=True),
    Column("intent", String(40), nullable=False),
    Column("status", String(20), nullable=False),  # applied|rejected|held (risk_holds)
    Column("result", JSONText, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Every assessment of the risk engine (#12): what the account did (domain/risk.Action), the
# object it made or moved when known, the decision and score, the rules that fired
# ([{name, weight, reason}]) and the facts they were judged on. Recorded, not yet enforced.
risk_assessments = Table(
    "risk_assessments",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("action", String(20), nullable=False),
    Column("object_id", String(ID)),
    Column("decision", String(10), nullable=False),  # allow|review|block
    Column("score", Integer, nullable=False),
    Column("fired", JSONText, nullable=False, server_default="[]"),
    Column("facts", JSONText, nullable=False, server_default="{}"),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_risk_assessments_user_created", "user_id", "created_at"),
    Index("ix_risk_assessments_decision_created", "decision", "created_at"),
)

# Actions the risk engine stopped (#12): held for a person (人工审核) or blocked at once. What
# to apply on release is the intent and its arguments (the push's or the REST request's
# model; null for a registration, which is done and only reviewed); a pushed one names its
# client and op, whose stored result becomes final when a reviewer decides. `outcome` is
# what the release's application answered (or its error). See services/holds.py.
risk_holds = Table(
    "risk_holds",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("action", String(20), nullable=False),  # domain/risk.Action
    Column("intent", String(40)),
    Column("args", JSONText),
    Column("object_id", String(ID)),
    Column("counterpart_id", String(ID)),  # the other party of an award or a funding
    Column("status", String(10), nullable=False),  # held|released|blocked|failed
    Column("score", Integer, nullable=False),
    Column("fired", JSONText, nullable=False, server_default="[]"),
    Column("facts", JSONText, nullable=False, server_default="{}"),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_by", String(ID)),
    Column("decided_at", UTCDateTime),
    Column("decision_reason", Text),
    Column("outcome", JSONText),
    Column("client_id", String(64)),
    Column("op_id", String(64)),
    Index("ix_risk_holds_status_created", "status", "created_at"),
    Index("ix_risk_holds_user_created", "user_id", "created_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigSerial, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", String(ID)),
    Column("action", String(60), nullable=False),
    Column("target", String(200)),
    Column("address", String(64)),
    Column("detail", JSONText, nullable=False, server_default="{}"),
    Index("ix_audit_log_action_at", "action", "at"),
    # an account's latest credential change (the risk engine's since_credential_change)
    Index("ix_audit_log_actor_action_at", "actor_id", "action", "at"),
)
