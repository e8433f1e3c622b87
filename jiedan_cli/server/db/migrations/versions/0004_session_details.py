"""sessions: a public id, the device and address that opened it, when it was last seen

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import jiedan_cli.server.db.types
from jiedan_cli.domain.ids import new_id


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('device', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('address', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('last_seen_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=True))

    # Sessions opened before: an id each, last seen when they were opened.
    bind = op.get_bind()
    sessions = sa.table('sessions', sa.column('token_hash', sa.String), sa.column('id', sa.String))
    for token_hash in bind.execute(sa.select(sessions.c.token_hash)).scalars().all():
        bind.execute(sa.update(sessions).where(sessions.c.token_hash == token_hash).values(id=new_id()))
    bind.execute(sa.text('UPDATE sessions SET last_seen_at = created_at'))

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.alter_column('id', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('last_seen_at', existing_type=jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_sessions_id'), ['id'])


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_sessions_id'), type_='unique')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('address')
        batch_op.drop_column('device')
        batch_op.drop_column('id')
