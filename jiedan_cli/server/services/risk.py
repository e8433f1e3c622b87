"""The risk engine on the server (#12), in shadow mode: `assess_action` reads the facts
(`risk_facts.read_facts`, one statement), asks `domain/risk.assess` with the configured
thresholds, and records the assessment in `risk_assessments` in the caller's transaction.
The decision is recorded, not enforced: nothing is refused or held yet (the next slice).

The services of register, post order, place bid, award, fund and withdraw and send message
call `shadow` after their own checks pass and before they write, with the `Origin` the API
layer knows (the install id and address of the request). A service called without one — the
demo seed, tests that drive a service directly — records nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from jiedan_cli.domain.ids import new_id
from jiedan_cli.domain.risk import (
    Action,
    Assessment,
    Facts,
    RiskLimits,
    Thresholds,
    assess,
    facts_read,
)
from jiedan_cli.server.config import Settings
from jiedan_cli.server.db.tables import risk_assessments
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.risk_facts import read_facts


@dataclass(frozen=True)
class Origin:
    """Where a request came from (the install id, "" for none; the address) and the settings
    it is assessed by."""

    device_id: str
    address: str
    settings: Settings


LIMITS = RiskLimits()  # the domain's defaults (not configurable yet): one facts statement each


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(review=settings.risk_review_at, block=settings.risk_block_at)


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
) -> Assessment:
    """Assess `action` by `actor` and record it (one read, one insert); returns the
    assessment. Recorded only: the caller goes on whatever the decision."""
    limits = LIMITS
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
    assessment = assess(action, facts, thresholds=thresholds(settings))
    conn.execute(
        _RECORD,
        {
            "id": new_id(),
            "user_id": actor.id,
            "action": str(action),
            "object_id": object_id,
            "decision": str(assessment.decision),
            "score": assessment.score,
            "fired": [f._asdict() for f in assessment.fired],
            "facts": facts_json(facts, facts_read(action)),
            "created_at": now,
        },
    )
    return assessment


_RECORD = insert(risk_assessments)  # built once: see risk_facts.facts_statement


def shadow(
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
    """`assess_action` with the request's origin; nothing without one (see the module), and
    nothing unless the server records assessments (`JIEDAN_SERVER_RISK_RECORD`)."""
    if origin is None or not origin.settings.risk_record:
        return None
    return assess_action(
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


def facts_json(facts: Facts, names: Iterable[str]) -> dict[str, Any]:
    """The fields `names` of `facts` as JSON (the ones the action's rules read: the others
    were not read, only defaulted): durations in whole seconds (None stays None)."""
    out: dict[str, Any] = {}
    for name in sorted(names):
        value = getattr(facts, name)
        out[name] = int(value.total_seconds()) if isinstance(value, timedelta) else value
    return out
