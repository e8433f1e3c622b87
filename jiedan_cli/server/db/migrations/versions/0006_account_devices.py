"""account_devices: which accounts are used on which install and from which address

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import jiedan_cli.server.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_devices',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_devices_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'device_id', 'address', name=op.f('pk_account_devices'))
    )
    with op.batch_alter_table('account_devices', schema=None) as batch_op:
        batch_op.create_index('ix_account_devices_address_seen', ['address', 'last_seen_at'], unique=False)
        batch_op.create_index('ix_account_devices_device_seen', ['device_id', 'last_seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account_devices', schema=None) as batch_op:
        batch_op.drop_index('ix_account_devices_device_seen')
        batch_op.drop_index('ix_account_devices_address_seen')

    op.drop_table('account_devices')
