"""flagged bids and messages: full (account, flagged, time) indexes instead of 0010's partial
ones, which SQLite without statistics did not choose (it read every recent bid's row)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_index('ix_bids_flagged', sqlite_where=sa.text('flagged'), postgresql_where=sa.text('flagged'))
        batch_op.create_index('ix_bids_freelancer_flagged', ['freelancer_id', 'flagged', 'created_at'], unique=False)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_flagged', sqlite_where=sa.text('flagged'), postgresql_where=sa.text('flagged'))
        batch_op.create_index('ix_messages_sender_flagged', ['sender_id', 'flagged', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_sender_flagged')
        batch_op.create_index('ix_messages_flagged', ['sender_id', 'created_at'], unique=False, sqlite_where=sa.text('flagged'), postgresql_where=sa.text('flagged'))
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_index('ix_bids_freelancer_flagged')
        batch_op.create_index('ix_bids_flagged', ['freelancer_id', 'created_at'], unique=False, sqlite_where=sa.text('flagged'), postgresql_where=sa.text('flagged'))
