"""first-order coupons (#13): one row per client, applied or withheld

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:00:00
"""
from alembic import op
import sqlalchemy as sa
import jiedan_cli.server.db.types


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('first_order_coupons',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('milestone_id', sa.String(length=36), nullable=False),
    sa.Column('intent_id', sa.String(length=36), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_first_order_coupons_order_id_orders')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_first_order_coupons_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_first_order_coupons'))
    )


def downgrade() -> None:
    op.drop_table('first_order_coupons')
