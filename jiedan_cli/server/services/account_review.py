"""Where an account stands with the review queue (#12, 人工审核). A registration the risk
engine held is made and works meanwhile: it is under review while its hold is open, and its
owner is told so (`GET /v1/me`'s `review`; `jiedan auth status`). One blocked — by a reviewer,
or by the engine at once — closed the account, and a sign-in with the right password says
so with the reason (`account_closed`), instead of a bare "wrong e-mail or password"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from jiedan_cli.domain.risk import Action
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import risk_holds
from jiedan_cli.server.services.holds import BLOCKED, HELD

UNDER_REVIEW = "under review"


def _registration_hold(conn: Connection, user_id: str, status: str) -> Any:
    h = risk_holds.c
    return conn.execute(
        select(h.id, h.reason, h.created_at, h.decision_reason)
        .where(
            h.user_id == user_id,
            h.action == str(Action.REGISTER),
            h.intent.is_(None),
            h.status == status,
        )
        .order_by(h.created_at.desc(), h.id.desc())
        .limit(1)
    ).first()


def registration_review(conn: Connection, user_id: str) -> dict[str, Any] | None:
    """The open review of the account's registration: {status: "under review", hold_id,
    reason, since}; None once a reviewer released it, or when it was never held."""
    row = _registration_hold(conn, user_id, HELD)
    if row is None:
        return None
    return {
        "status": UNDER_REVIEW,
        "hold_id": row.id,
        "reason": row.reason,
        "since": rfc3339(row.created_at),
    }


def closed_message(conn: Connection, user_id: str) -> str:
    """What a sign-in to a closed account answers, once its password matched: the reason of
    the review that closed it."""
    row = _registration_hold(conn, user_id, BLOCKED)
    reason = (row.decision_reason or row.reason) if row is not None else None
    if not reason:
        return "this account is closed"
    return f"this account was closed after review (人工审核): {reason}"
