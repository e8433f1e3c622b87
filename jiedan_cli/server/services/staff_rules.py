"""What staff may act on (security.md). The one rule: staff never act on an object they are
party to — their own verification, an order (or its dispute) where they are the client or
the freelancer. Every staff write calls `refuse_party` once it knows the object's parties
(after its role check, so a caller without the role learns nothing of the object)."""

from __future__ import annotations

from collections.abc import Iterable

from jiedan_cli.domain.errors import Forbidden
from jiedan_cli.server.services.actors import Actor


def is_party(staff: Actor, parties: Iterable[str | None]) -> bool:
    return staff.id in set(parties)


def refuse_party(staff: Actor, parties: Iterable[str | None], *, what: str) -> None:
    """Forbidden (403, `staff_party`) when `staff` is one of `parties` of `what`."""
    if is_party(staff, parties):
        raise Forbidden(
            f"staff may not act on {what} they are party to; another staff member must",
            code="staff_party",
        )
