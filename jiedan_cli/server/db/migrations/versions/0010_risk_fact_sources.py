"""risk facts' sources: bids.flagged, account_devices.network (backfilled), and indexes for
the facts statement (an account's rows over a window: orders, bids, payouts; flagged bids and
messages; an account's credential changes)

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-10 09:00:00
"""
import ipaddress

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def _network(address: str) -> str:
    """services/devices.network_of as of this revision (a migration keeps its own copy)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 16 if ip.version == 4 else 32
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def upgrade() -> None:
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.drop_index('ix_bids_freelancer_id')
        batch_op.create_index('ix_bids_freelancer_created', ['freelancer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_bids_flagged', ['freelancer_id', 'created_at'], unique=False, sqlite_where=sa.text('flagged'), postgresql_where=sa.text('flagged'))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_flagged', ['sender_id', 'created_at'], unique=False, sqlite_where=sa.text('flagged'), postgresql_where=sa.text('flagged'))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_client_id')
        batch_op.create_index('ix_orders_client_created', ['client_id', 'created_at'], unique=False)
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index('ix_payouts_user_id')
        batch_op.create_index('ix_payouts_user_created', ['user_id', 'created_at'], unique=False)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_actor_action_at', ['actor_id', 'action', 'at'], unique=False)
    with op.batch_alter_table('account_devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network', sa.String(length=64), server_default='', nullable=False))
    conn = op.get_bind()
    devices = sa.table('account_devices', sa.column('address', sa.String), sa.column('network', sa.String))
    addresses = conn.execute(sa.select(devices.c.address).distinct()).scalars().all()
    for address in addresses:
        network = _network(address)
        if network:
            conn.execute(devices.update().where(devices.c.address == address).values(network=network))


def downgrade() -> None:
    with op.batch_alter_table('account_devices', schema=None) as batch_op:
        batch_op.drop_column('network')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor_action_at')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index('ix_payouts_user_created')
        batch_op.create_index('ix_payouts_user_id', ['user_id'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_client_created')
        batch_op.create_index('ix_orders_client_id', ['client_id'], unique=False)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_flagged')
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_index('ix_bids_flagged')
        batch_op.drop_index('ix_bids_freelancer_created')
        batch_op.create_index('ix_bids_freelancer_id', ['freelancer_id'], unique=False)
        batch_op.drop_column('flagged')
