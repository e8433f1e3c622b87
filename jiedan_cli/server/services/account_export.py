"""Everything the server holds about the caller, as one JSON document (security.md: privacy;
`jiedan account export`): the account and profile, the work (orders posted, bids, messages
sent and received, deliveries, reviews, disputes), the money (ledger lines, payouts, points,
the fee plan, the first-order coupon) and the account's own history (sessions, audit
entries). In the API's representations; no secret (password hash, tokens, TOTP seed, a full
ID number) and nothing that is only someone else's — a review about the caller still blind
stays out until it is revealed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import (
    audit_log,
    bids,
    deliveries,
    disputes,
    first_order_coupons,
    messages,
    orders,
    payouts,
    reviews,
    sessions,
    verifications,
)
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.bids import bid_view
from jiedan_cli.server.services.deliveries import delivery_view
from jiedan_cli.server.services.earnings import ledger_entries, payout_view
from jiedan_cli.server.services.escrow import dispute_view
from jiedan_cli.server.services.fee_plans import plan_view
from jiedan_cli.server.services.first_order_coupons import coupon_view
from jiedan_cli.server.services.messages import message_view
from jiedan_cli.server.services.order_views import order_view
from jiedan_cli.server.services.points import points_balance, points_history
from jiedan_cli.server.services.profiles import profile_view
from jiedan_cli.server.services.reviews import review_view
from jiedan_cli.server.services.staff_audit import audit_view
from jiedan_cli.server.services.users import user_row, user_view
from jiedan_cli.server.services.verification import verification_view

FORMAT = "jiedan-account-export/1"


def export_account(conn: Connection, actor: Actor, *, now: datetime) -> dict[str, Any]:
    me = actor.id

    def rows(table: Any, *where: Any) -> list[Any]:
        order_by = table.c.created_at if "created_at" in table.c else table.c.at
        return list(conn.execute(select(table).where(*where).order_by(order_by)))

    return {
        "format": FORMAT,
        "exported_at": rfc3339(now),
        "account": user_view(user_row(conn, me)),
        "profile": profile_view(conn, me, viewer_id=me, now=now),
        "verifications": [
            verification_view(row) for row in rows(verifications, verifications.c.user_id == me)
        ],
        "orders_posted": [order_view(row) for row in rows(orders, orders.c.client_id == me)],
        "bids": [bid_view(row) for row in rows(bids, bids.c.freelancer_id == me)],
        "messages": [
            message_view(row)
            for row in rows(
                messages, or_(messages.c.sender_id == me, messages.c.recipient_id == me)
            )
        ],
        "deliveries": [
            delivery_view(row) for row in rows(deliveries, deliveries.c.freelancer_id == me)
        ],
        "reviews_written": [review_view(row) for row in rows(reviews, reviews.c.author_id == me)],
        "reviews_received": [
            review_view(row)
            for row in rows(reviews, reviews.c.subject_id == me, reviews.c.revealed_at.is_not(None))
        ],
        "disputes_opened": [
            dispute_view(row) for row in rows(disputes, disputes.c.opened_by == me)
        ],
        "ledger": ledger_entries(conn, actor).items,
        "payouts": [payout_view(row) for row in rows(payouts, payouts.c.user_id == me)],
        "points": points_balance(conn, actor, now=now),
        "points_history": points_history(conn, actor).items,
        "fee_plan": plan_view(conn, actor, now=now),
        "first_order_coupon": [
            coupon_view(row)
            for row in rows(first_order_coupons, first_order_coupons.c.user_id == me)
        ],
        "sessions": [_session_view(row) for row in rows(sessions, sessions.c.user_id == me)],
        "audit": [audit_view(row) for row in rows(audit_log, audit_log.c.actor_id == me)],
    }


def _session_view(row: Any) -> dict[str, Any]:
    """When a sign-in began and ended; never the token (only its hash is kept, and not shown)."""
    return {
        "created_at": rfc3339(row.created_at),
        "expires_at": rfc3339(row.expires_at),
        "revoked_at": rfc3339(row.revoked_at) if row.revoked_at else None,
    }
