"""users.email in its one normalised form (domain/emails.py: NFKC, no format characters,
casefolded, trimmed), as registration and sign-in now compare it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 12:00:00
"""
import logging

from alembic import op
import sqlalchemy as sa

from jiedan_cli.domain.emails import normalise_email


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    # An address whose normal form another account already has (`ｖictim@…` registered beside
    # `victim@…`) is left as it was: no sign-in reaches it any more, and the operator is told.
    bind = op.get_bind()
    users = sa.table('users', sa.column('id', sa.String), sa.column('email', sa.String))
    rows = bind.execute(sa.select(users.c.id, users.c.email)).all()
    taken = {email for _, email in rows}
    for user_id, email in rows:
        normal = normalise_email(email)
        if normal == email:
            continue
        if normal in taken:
            log.warning("account %s: %r is another account's address once normalised", user_id, email)
            continue
        bind.execute(sa.update(users).where(users.c.id == user_id).values(email=normal))
        taken.discard(email)
        taken.add(normal)


def downgrade() -> None:
    pass  # the original spellings are not kept
