"""Held actions and the staff review queue (#12, security.md 人工审核).

When the risk engine stops an action (services/risk.gate raises `Held` or `RiskBlocked`), the
layer that owns the transaction runs the action through `gated`: a savepoint undoes its
effects, and the hold is recorded in the same transaction — `held` (waiting for a reviewer)
or `blocked` (refused at once, kept so staff see it) — with the intent and arguments to apply
on release, audited and published on the owner's `hold` feed. A pushed operation's hold names
its client and op, and its stored sync result (`sync_ops`) is `held` until a reviewer decides.

A reviewer (or an admin; never a party to the item) decides each hold exactly once:
`release` applies the stored intent as its user with the gate skipped for that one
application, and stores what it answered (`released`), or the domain error it met meanwhile
(`failed`: the order was awarded to someone else); `block` closes it with a reason (and a
held registration's account). A pushed op's stored result becomes that final answer, so a
re-sent op_id gets it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, delete, insert, select, update

from jiedan_cli.domain.errors import (
    Conflict,
    Held,
    InvalidInput,
    JiedanError,
    NotFound,
    RiskBlocked,
    RiskStopped,
    TemporaryFailure,
)
from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db.engine import savepoint
from jiedan_cli.server.db.tables import risk_holds, sessions, sync_ops, users
from jiedan_cli.server.services.actors import Actor, parse_roles
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.changes import Kind, publish, register
from jiedan_cli.server.services.risk import Origin, record_assessment
from jiedan_cli.server.services.staff_rules import refuse_party

T = TypeVar("T")

HELD, RELEASED, BLOCKED, FAILED = "held", "released", "blocked", "failed"
WITHDRAW = "withdraw"  # the online-only withdrawal is no Intent; its hold names it so
REVIEWERS = ("reviewer",)  # admins hold every staff role (Actor.require)
QUEUE_MAX = 200
REASON_MAX = 500


def hold_view(row: Row[Any]) -> dict[str, Any]:
    """What the hold's owner sees (their `hold` feed): never the rules' facts."""
    return {
        "id": row.id,
        "status": row.status,
        "action": row.action,
        "reason": row.reason,
        "intent": row.intent,
        "object_id": row.object_id,
        "op_id": row.op_id,
        "created_at": rfc3339(row.created_at),
        "decided_at": rfc3339(row.decided_at) if row.decided_at else None,
        "decision_reason": row.decision_reason,
    }


register(Kind.HOLD, view=hold_view, audience=lambda row, _: (row.user_id,))


def staff_view(row: Row[Any], user: Row[Any] | None) -> dict[str, Any]:
    """What a reviewer sees: the rules that fired, the facts, the user, what to apply."""
    return {
        **hold_view(row),
        "user": {"id": user.id, "name": user.name, "email": user.email} if user else None,
        "score": row.score,
        "fired": row.fired,
        "facts": row.facts,
        "args": row.args,
        "counterpart_id": row.counterpart_id,
        "client_id": row.client_id,
        "decided_by": row.decided_by,
        "outcome": row.outcome,
    }


def stored(result: dict[str, Any]) -> dict[str, Any]:
    """`result` as it is stored (JSON): times as RFC 3339, dates ISO."""

    def plain(value: object) -> object:
        if isinstance(value, datetime):
            return rfc3339(value)
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} is not JSON")

    loaded: dict[str, Any] = json.loads(json.dumps(result, default=plain))
    return loaded


# ---- holding ------------------------------------------------------------------------------


def gated(
    conn: Connection,
    actor: Actor,
    call: Callable[[], T],
    *,
    intent: str | None,
    args: dict[str, Any] | None,
    now: datetime,
    settings: Settings,
    client_id: str | None = None,
    op_id: str | None = None,
    undo: bool = False,
) -> T:
    """`call()` in a savepoint: when the risk engine stops it, its effects are undone, the
    hold recorded in `conn` and the RiskStopped re-raised with its `hold_id` — the caller
    commits `conn` and answers. With the engine off no savepoint is spent unless `undo`
    asks for one (a push: any refused operation undoes its effects alone; a withdrawal past
    the new-account cap is held whether the engine is on or not)."""
    if not (settings.risk_record or undo):
        return call()
    try:
        with savepoint(conn):
            return call()
    except RiskStopped as stop:
        if stop.hold_id is None:  # else a retry answered with its standing hold
            record_hold(
                conn, actor, stop, intent=intent, args=args, now=now, client_id=client_id,
                op_id=op_id,
            )  # fmt: skip
        raise


def standing_stop(
    conn: Connection, user_id: str, action: str, object_id: str, args: dict[str, Any]
) -> RiskStopped | None:
    """The hold `user_id`'s `action` on `object_id` already has, waiting or blocked, raised
    again as its first attempt was (`hold_id` set, so nothing new is recorded): a retry
    whose answer was lost queues no second hold. InvalidInput when the retry's `args` are
    not the held ones: the same id, another request. None: no hold, or one decided
    otherwise (released: the action is done; failed: it may be tried afresh)."""
    row = conn.execute(
        select(risk_holds).where(
            risk_holds.c.user_id == user_id,
            risk_holds.c.action == action,
            risk_holds.c.object_id == object_id,
            risk_holds.c.status.in_((HELD, BLOCKED)),
        )
    ).first()
    if row is None:
        return None
    if any((row.args or {}).get(key) != value for key, value in args.items()):
        raise InvalidInput(f"id: {object_id} is held already for another request", field="id")
    kind = Held if row.status == HELD else RiskBlocked
    stop = kind(
        row.reason if row.status == HELD else row.decision_reason or row.reason,
        action=row.action,
        score=row.score,
        fired=row.fired,
        facts=row.facts,
        object_id=row.object_id,
        counterpart_id=row.counterpart_id,
    )
    stop.hold_id = row.id
    return stop


def record_hold(
    conn: Connection,
    actor: Actor,
    stop: RiskStopped,
    *,
    intent: str | None,
    args: dict[str, Any] | None,
    now: datetime,
    client_id: str | None = None,
    op_id: str | None = None,
    undone: bool = True,
) -> Row[Any]:
    """The hold of `stop` (held, or blocked at once), audited and published; sets
    `stop.hold_id`. `undone`: the savepoint that undid the action took its assessment
    row, so it is written again here (a registration is not undone)."""
    hold_id = new_id()
    status = HELD if isinstance(stop, Held) else BLOCKED
    if undone:
        record_assessment(
            conn,
            user_id=actor.id,
            action=stop.action,
            object_id=stop.object_id,
            decision="review" if status == HELD else "block",
            score=stop.score,
            fired=stop.fired,
            facts=stop.facts,
            now=now,
        )
    conn.execute(
        insert(risk_holds).values(
            id=hold_id,
            user_id=actor.id,
            action=stop.action,
            intent=intent,
            args=args,
            object_id=stop.object_id,
            counterpart_id=stop.counterpart_id,
            status=status,
            score=stop.score,
            fired=stop.fired,
            facts=stop.facts,
            reason=stop.reason,
            created_at=now,
            decided_at=now if status == BLOCKED else None,
            decision_reason=stop.reason if status == BLOCKED else None,
            client_id=client_id,
            op_id=op_id,
        )
    )
    audit(
        conn,
        f"risk.{status}",
        now=now,
        actor_id=actor.id,
        target=hold_id,
        risk_action=stop.action,
        intent=intent,
        score=stop.score,
        rules=[f["name"] for f in stop.fired],
    )
    row = conn.execute(select(risk_holds).where(risk_holds.c.id == hold_id)).one()
    publish(conn, Kind.HOLD, row, now=now)
    stop.hold_id = hold_id
    return row


# ---- the queue ----------------------------------------------------------------------------


def held_queue(conn: Connection, staff: Actor, *, limit: int = 50) -> list[dict[str, Any]]:
    """Holds waiting for a reviewer, oldest first, with their rules, facts and user."""
    staff.require(*REVIEWERS)
    if not 1 <= limit <= QUEUE_MAX:
        raise InvalidInput(f"limit: 1 to {QUEUE_MAX}", field="limit")
    rows = conn.execute(
        select(risk_holds, users.c.name.label("user_name"), users.c.email.label("user_email"))
        .join(users, users.c.id == risk_holds.c.user_id)
        .where(risk_holds.c.status == HELD)
        .order_by(risk_holds.c.created_at, risk_holds.c.id)
        .limit(limit)
    ).all()
    return [
        {
            **staff_view(row, None),
            "user": {"id": row.user_id, "name": row.user_name, "email": row.user_email},
        }
        for row in rows
    ]


def release(
    conn: Connection, staff: Actor, hold_id: str, *, now: datetime, settings: Settings
) -> dict[str, Any]:
    """Apply the held action as its user, once: `released` with what it answered, or
    `failed` with the domain error it meets now."""
    row = _hold_to_decide(conn, staff, hold_id)
    owner = _owner(conn, row.user_id)
    status, outcome, sync = RELEASED, None, None
    if row.intent is not None:
        try:
            with conn.begin_nested():
                outcome = stored(_apply(conn, owner, row, now=now, settings=settings))
            sync = ("applied", outcome)
        except TemporaryFailure:
            raise
        except JiedanError as exc:
            status, outcome = FAILED, {"code": exc.code, "reason": exc.message}
            sync = ("rejected", outcome)
    reason = outcome["reason"] if status == FAILED and outcome else None
    return _decide(conn, staff, row, status, now=now, reason=reason, outcome=outcome, sync=sync)


def block(
    conn: Connection, staff: Actor, hold_id: str, reason: str, *, now: datetime
) -> dict[str, Any]:
    """Refuse the held action for good, with `reason`; a held registration's account is
    closed (its sessions end)."""
    reason = reason.strip()
    if not 1 <= len(reason) <= REASON_MAX:
        raise InvalidInput(f"reason: 1 to {REASON_MAX} characters", field="reason")
    row = _hold_to_decide(conn, staff, hold_id)
    if row.intent is None:
        close_account(conn, row.user_id)
    sync = ("rejected", {"code": "risk_blocked", "reason": reason})
    return _decide(conn, staff, row, BLOCKED, now=now, reason=reason, outcome=None, sync=sync)


def close_account(conn: Connection, user_id: str) -> None:
    """A blocked registration: the account may no longer sign in or act."""
    conn.execute(update(users).where(users.c.id == user_id).values(status="closed"))
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


def _hold_to_decide(conn: Connection, staff: Actor, hold_id: str) -> Row[Any]:
    staff.require(*REVIEWERS)
    query = select(risk_holds).where(risk_holds.c.id == hold_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no hold {hold_id}")
    refuse_party(staff, (row.user_id, row.counterpart_id), what="a hold")
    if row.status != HELD:
        raise Conflict(f"hold {hold_id} is {row.status} already", code="hold_decided")
    return row


def _decide(
    conn: Connection,
    staff: Actor,
    row: Row[Any],
    status: str,
    *,
    now: datetime,
    reason: str | None,
    outcome: dict[str, Any] | None,
    sync: tuple[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    decided = conn.execute(
        update(risk_holds)
        .where(risk_holds.c.id == row.id, risk_holds.c.status == HELD)
        .values(
            status=status,
            decided_by=staff.id,
            decided_at=now,
            decision_reason=reason,
            outcome=outcome,
        )
    )
    if decided.rowcount != 1:  # SQLite: writers are serialised, so only a bug gets here
        raise Conflict(f"hold {row.id} was decided meanwhile", code="hold_decided")
    if sync is not None and row.op_id is not None:
        conn.execute(
            update(sync_ops)
            .where(sync_ops.c.op_id == row.op_id)
            .values(status=sync[0], result=sync[1])
        )
    audit(
        conn,
        f"risk.hold_{status}",
        now=now,
        actor_id=staff.id,
        target=row.id,
        user_id=row.user_id,
        risk_action=row.action,
        reason=reason,
    )
    fresh = conn.execute(select(risk_holds).where(risk_holds.c.id == row.id)).one()
    publish(conn, Kind.HOLD, fresh, now=now)
    return staff_view(fresh, conn.execute(select(users).where(users.c.id == row.user_id)).first())


def _owner(conn: Connection, user_id: str) -> Actor:
    user = conn.execute(select(users).where(users.c.id == user_id)).one()
    return Actor(user.id, user.email, user.name, parse_roles(user.roles))


def _apply(
    conn: Connection, owner: Actor, row: Row[Any], *, now: datetime, settings: Settings
) -> dict[str, Any]:
    """The held intent, as `owner`, with the gate skipped for this one application."""
    from jiedan_cli.server.services import intents

    origin = Origin("", "", settings, gated=False)
    if row.intent == WITHDRAW:
        from jiedan_cli.server.services import earnings

        args = row.args or {}
        return earnings.withdraw(
            conn,
            owner,
            amount_fen=int(args["amount_fen"]),
            otp=None,
            stepped_up=True,  # proven when it was asked for
            now=now,
            payout_id=args.get("id"),
            origin=origin,
        )
    return intents.apply_intent(
        conn, owner, str(Intent(row.intent)), row.args, now=now, settings=settings, origin=origin
    )
