"""change_log and change_audience carry the writing transaction's id: the pull cursor is
(txid, seq) under a safe horizon instead of appends serialised by an advisory lock

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 03:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before this migration keep txid 0: they were appended under the old lock,
    # in commit order, and every later row has a transaction id above 0.
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('txid', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.drop_index('ix_change_log_public_seq', sqlite_where=sa.text('public = 1'), postgresql_where=sa.text('public'))
        batch_op.create_index('ix_change_log_public_txid_seq', ['txid', 'seq'], unique=False, sqlite_where=sa.text('public = 1'), postgresql_where=sa.text('public'))
        batch_op.create_index('ix_change_log_entity', ['entity', 'entity_id', 'seq'], unique=False)

    with op.batch_alter_table('change_audience', schema=None) as batch_op:
        batch_op.add_column(sa.Column('txid', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_index('ix_change_audience_user_txid_seq', ['user_id', 'txid', 'seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('change_audience', schema=None) as batch_op:
        batch_op.drop_index('ix_change_audience_user_txid_seq')
        batch_op.drop_column('txid')

    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_entity')
        batch_op.drop_index('ix_change_log_public_txid_seq', sqlite_where=sa.text('public = 1'), postgresql_where=sa.text('public'))
        batch_op.create_index('ix_change_log_public_seq', ['seq'], unique=False, sqlite_where=sa.text('public = 1'), postgresql_where=sa.text('public'))
        batch_op.drop_column('txid')
