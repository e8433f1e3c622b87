"""Real-name verification (实名认证, security.md): a freelancer submits a real name, an ID
number and certificates (name, size, SHA-256 as deliveries record files); a reviewer (or an
admin) approves or rejects it. The ID number is sealed with the server's key (secrets_box)
and only its last four characters are kept in the clear, for the masked form everyone sees.
The account's `verification` (none, pending, approved, rejected) follows, and lifts the
limits on unverified freelancers (bids a day, the size of an award)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from jiedan_cli.domain.errors import Conflict, InvalidInput, NotFound
from jiedan_cli.domain.identity import (
    CERTIFICATES_MAX,
    check_id_number,
    check_real_name,
    mask_id_number,
)
from jiedan_cli.domain.ids import check_id, new_id
from jiedan_cli.domain.timefmt import rfc3339
from jiedan_cli.server.db.tables import users, verifications
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.audit import audit
from jiedan_cli.server.services.deliveries import check_files
from jiedan_cli.server.services.pages import Page, PageRequest, keyset_rows
from jiedan_cli.server.services.rows import fetch_for_update
from jiedan_cli.server.services.secrets_box import box_for
from jiedan_cli.server.services.staff_rules import refuse_party
from jiedan_cli.server.services.users import record_user_change

BOX_PURPOSE = "id-number"
REVIEWERS = ("reviewer", "admin")


def verification_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "real_name": row.real_name,
        "id_number_masked": mask_id_number(row.id_number_last4),
        "certificates": list(row.certificates),
        "status": row.status,
        "created_at": rfc3339(row.created_at),
        "reviewed_at": rfc3339(row.reviewed_at) if row.reviewed_at else None,
    }


def submit(
    conn: Connection,
    actor: Actor,
    *,
    real_name: Any,
    id_number: Any,
    certificates: Any = (),
    now: datetime,
) -> dict[str, Any]:
    """A new verification, pending review; refused while one is pending or once approved."""
    actor.require("freelancer")
    name, number = check_real_name(real_name), check_id_number(id_number)
    files = check_files(list(certificates))
    if len(files) > CERTIFICATES_MAX:
        raise InvalidInput(f"certificates: at most {CERTIFICATES_MAX}", field="certificates")
    user = fetch_for_update(conn, users, actor.id, what="user")
    if user.verification in ("pending", "approved"):
        raise Conflict(
            f"your verification is {user.verification} already", code="verification_open"
        )
    verification_id = new_id()
    conn.execute(
        insert(verifications).values(
            id=verification_id,
            user_id=actor.id,
            real_name=name,
            id_number_encrypted=box_for(conn, BOX_PURPOSE).seal(number),
            id_number_last4=number[-4:],
            certificates=files,
            status="pending",
            created_at=now,
        )
    )
    conn.execute(update(users).where(users.c.id == actor.id).values(verification="pending"))
    audit(conn, "verification.submitted", now=now, actor_id=actor.id, target=verification_id)
    record_user_change(conn, actor.id, now=now)
    return _view(conn, verification_id)


def my_verification(conn: Connection, actor: Actor) -> dict[str, Any]:
    """The latest verification of the caller: {"status": "none"} when there is none."""
    row = conn.execute(
        select(verifications)
        .where(verifications.c.user_id == actor.id)
        .order_by(verifications.c.created_at.desc(), verifications.c.id.desc())
        .limit(1)
    ).first()
    return {"status": "none"} if row is None else verification_view(row)


def pending(conn: Connection, staff: Actor, page: PageRequest | None = None) -> Page:
    """The verifications waiting for review, oldest first (reviewers and admins), less the
    caller's own, which another reviewer must decide (staff_rules.is_party, in the query so
    that a page is full)."""
    staff.require(*REVIEWERS)
    query = select(verifications).where(
        verifications.c.status == "pending", verifications.c.user_id != staff.id
    )
    key = (verifications.c.created_at, verifications.c.id)
    rows, cursor = keyset_rows(conn, query, key, page)
    return Page([verification_view(row) for row in rows], cursor)


def review(
    conn: Connection, staff: Actor, user_id: str, *, approve: bool, now: datetime
) -> dict[str, Any]:
    """Approve or reject the user's pending verification; the account follows."""
    staff.require(*REVIEWERS)
    user_id = check_id(user_id, field="user_id")
    refuse_party(staff, [user_id], what="a verification")
    row = conn.execute(
        select(verifications)
        .where(verifications.c.user_id == user_id, verifications.c.status == "pending")
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no verification of {user_id} waits for review")
    status = "approved" if approve else "rejected"
    conn.execute(
        update(verifications)
        .where(verifications.c.id == row.id)
        .values(status=status, reviewed_by=staff.id, reviewed_at=now)
    )
    conn.execute(update(users).where(users.c.id == user_id).values(verification=status))
    audit(conn, f"verification.{status}", now=now, actor_id=staff.id, target=user_id)
    record_user_change(conn, user_id, now=now)
    return _view(conn, row.id)


def _view(conn: Connection, verification_id: str) -> dict[str, Any]:
    row = conn.execute(select(verifications).where(verifications.c.id == verification_id)).one()
    return verification_view(row)
