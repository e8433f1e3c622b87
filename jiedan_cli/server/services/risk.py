"""The risk engine on the server (#12): `assess_action` reads the facts
(`risk_facts.read_facts`, one statement), asks `domain/risk.assess` with the configured limits
and thresholds, and records the assessment in `risk_assessments` in the caller's transaction.

The services of register, post order, place bid, award, fund, withdraw and send message call
`gate` after their own checks pass and before they write, with the `Origin` the API layer
knows (the install id and address of the request). A `review` decision raises `Held`, a
`block` raises `RiskBlocked`: the layer that owns the transaction undoes the action and
records the hold (services/holds.py). A service called without an origin — the demo seed,
tests that drive a service directly — is not assessed, nor is the one application a
reviewer's release makes (`Origin.gated` False: an argument, never a switch)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, insert

from jiedan_cli.domain.errors import Held, RiskBlocked
from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.risk import (
    Action,
    Assessment,
    Decision,
    Facts,
    RiskLimits,
    Rule,
    Thresholds,
    assess,
    facts_read,
    parse_limits,
    rules_for,
)
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db.engine import deferred
from jiedan_cli.server.db.tables import risk_assessments
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.risk_facts import read_facts


@dataclass(frozen=True)
class Origin:
    """Where a request came from (the install id, "" for none; the address) and the settings
    it is assessed by; `gated` False for the one application of a released hold."""

    device_id: str
    address: str
    settings: Settings
    gated: bool = True


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(review=settings.risk_review_at, block=settings.risk_block_at)


def limits_and_rules(settings: Settings) -> tuple[RiskLimits, tuple[Rule, ...]]:
    """The configured limits (`risk_limits`, over RiskLimits' defaults) and their rules."""
    return _limits_and_rules(settings.risk_limits)


@lru_cache(maxsize=8)
def _limits_and_rules(given: str) -> tuple[RiskLimits, tuple[Rule, ...]]:
    limits = parse_limits(given)
    return limits, rules_for(limits)


def assess_action(
    conn: Connection,
    actor: Actor,
    action: Action,
    *,
    amount_fen: int = 0,
    counterpart_id: str | None = None,
    object_id: str | None = None,
    device_id: str,
    address: str,
    now: datetime,
    settings: Settings,
) -> tuple[Assessment, Facts]:
    """Assess `action` by `actor` and record it (one read, one insert); returns the
    assessment and the facts it was made on."""
    limits, rules = limits_and_rules(settings)
    facts = read_facts(
        conn,
        user_id=actor.id,
        action=action,
        amount_fen=amount_fen,
        counterpart_id=counterpart_id,
        device_id=device_id,
        address=address,
        now=now,
        limits=limits,
    )
    assessment = assess(action, facts, rules, thresholds=thresholds(settings))
    record_assessment(
        conn,
        user_id=actor.id,
        action=str(action),
        object_id=object_id,
        decision=str(assessment.decision),
        score=assessment.score,
        fired=[f._asdict() for f in assessment.fired],
        facts=facts_json(facts, facts_read(action)),
        now=now,
    )
    return assessment, facts


def record_assessment(
    conn: Connection,
    *,
    user_id: str,
    action: str,
    object_id: str | None,
    decision: str,
    score: int,
    fired: list[dict[str, Any]],
    facts: dict[str, Any],
    now: datetime,
) -> None:
    """One row of `risk_assessments`, written with the transaction's others just before it
    commits (one INSERT for a push group's: `db.engine.deferred`). A stopped action's is
    written again with its hold (services/holds.record_hold): the savepoint that undid the
    action took it too."""
    row = {
        "id": new_id(),
        "user_id": user_id,
        "action": action,
        "object_id": object_id,
        "decision": decision,
        "score": score,
        "fired": fired,
        "facts": facts,
        "created_at": now,
    }
    pending = deferred(conn, "risk_assessments", _insert_assessments)
    if pending is None:  # not a Database.write transaction (a script's): at once
        _insert_assessments(conn, [row])
    else:
        pending.append(row)


def _insert_assessments(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_RECORD, rows)


_RECORD = insert(risk_assessments)  # built once: see risk_facts.facts_statement


def gate(
    conn: Connection,
    actor: Actor,
    action: Action,
    origin: Origin | None,
    *,
    now: datetime,
    amount_fen: int = 0,
    counterpart_id: str | None = None,
    object_id: str | None = None,
) -> Assessment | None:
    """`assess_action` with the request's origin, then Held on `review`, RiskBlocked on
    `block`; nothing without an origin or a gate (see the module), and nothing unless the
    server assesses (`JIEDAN_SERVER_RISK_RECORD`)."""
    if origin is None or not origin.gated or not origin.settings.risk_record:
        return None
    assessment, facts = assess_action(
        conn,
        actor,
        action,
        amount_fen=amount_fen,
        counterpart_id=counterpart_id,
        object_id=object_id,
        device_id=origin.device_id,
        address=origin.address,
        now=now,
        settings=origin.settings,
    )
    if assessment.decision == Decision.ALLOW:
        return assessment
    stop = Held if assessment.decision == Decision.REVIEW else RiskBlocked
    raise stop(
        "; ".join(f.reason for f in assessment.fired),
        action=str(action),
        score=assessment.score,
        fired=[f._asdict() for f in assessment.fired],
        facts=facts_json(facts, facts_read(action)),
        object_id=object_id,
        counterpart_id=counterpart_id,
    )


def facts_json(facts: Facts, names: Iterable[str]) -> dict[str, Any]:
    """The fields `names` of `facts` as JSON (the ones the action's rules read: the others
    were not read, only defaulted): durations in whole seconds (None stays None)."""
    out: dict[str, Any] = {}
    for name in sorted(names):
        value = getattr(facts, name)
        out[name] = int(value.total_seconds()) if isinstance(value, timedelta) else value
    return out
