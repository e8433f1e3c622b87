"""fee plans (#13): the plan each freelancer chose, paid through a date

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa
import jiedan_cli.server.db.types


revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fee_plans',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('plan', sa.String(length=20), nullable=False),
    sa.Column('chosen_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_until', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('periods', sa.Integer(), server_default='0', nullable=False),
    sa.Column('lapsed_from', sa.String(length=20), nullable=True),
    sa.Column('lapsed_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_fee_plans_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_fee_plans'))
    )
    with op.batch_alter_table('fee_plans', schema=None) as batch_op:
        batch_op.create_index('ix_fee_plans_paid_until', ['paid_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fee_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_plans_paid_until')

    op.drop_table('fee_plans')
