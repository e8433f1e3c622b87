"""incentives (#13): referral codes and referrals, campaigns, fee coupons

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:30:00
"""
from alembic import op
import sqlalchemy as sa
import jiedan_cli.server.db.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('multiplier', sa.Integer(), server_default='1', nullable=False),
    sa.Column('discount_bp', sa.Integer(), server_default='0', nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('starts_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_by', sa.String(length=36), nullable=True),
    sa.Column('ended_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_campaigns_created_by_users')),
    sa.ForeignKeyConstraint(['ended_by'], ['users.id'], name=op.f('fk_campaigns_ended_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_ends_starts', ['ends_at', 'starts_at'], unique=False)

    op.create_table('fee_coupons',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('value_fen', sa.BigInteger(), nullable=False),
    sa.Column('remaining_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_fee_coupons_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_coupons'))
    )
    with op.batch_alter_table('fee_coupons', schema=None) as batch_op:
        batch_op.create_index('ix_fee_coupons_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('referral_codes',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('created_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_referral_codes_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_referral_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_referral_codes_code'))
    )
    op.create_table('referrals',
    sa.Column('referee_id', sa.String(length=36), nullable=False),
    sa.Column('referrer_id', sa.String(length=36), nullable=False),
    sa.Column('reward_points', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('order_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['referee_id'], ['users.id'], name=op.f('fk_referrals_referee_id_users')),
    sa.ForeignKeyConstraint(['referrer_id'], ['users.id'], name=op.f('fk_referrals_referrer_id_users')),
    sa.PrimaryKeyConstraint('referee_id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_referrer_id'), ['referrer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_referrer_id'))

    op.drop_table('referrals')
    op.drop_table('referral_codes')
    with op.batch_alter_table('fee_coupons', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_coupons_user_created')

    op.drop_table('fee_coupons')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_campaigns_ends_starts')

    op.drop_table('campaigns')
