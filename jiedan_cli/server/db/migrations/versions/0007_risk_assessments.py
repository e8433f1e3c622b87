"""risk_assessments: every assessment of the risk engine; indexes for its facts query

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import jiedan_cli.server.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_assessments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.String(length=36), nullable=True),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('fired', jiedan_cli.server.db.types.JSONText(), server_default='[]', nullable=False),
    sa.Column('facts', jiedan_cli.server.db.types.JSONText(), server_default='{}', nullable=False),
    sa.Column('created_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_risk_assessments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_assessments'))
    )
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.create_index('ix_risk_assessments_decision_created', ['decision', 'created_at'], unique=False)
        batch_op.create_index('ix_risk_assessments_user_created', ['user_id', 'created_at'], unique=False)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_sender_created', ['sender_id', 'created_at'], unique=False)
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index('ix_order_events_actor_kind_created', ['actor_id', 'kind', 'created_at'], unique=False)
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index('ix_disputes_opened_by_created', ['opened_by', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_disputes_opened_by_created')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index('ix_order_events_actor_kind_created')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_sender_created')
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_assessments_user_created')
        batch_op.drop_index('ix_risk_assessments_decision_created')

    op.drop_table('risk_assessments')
