"""risk_holds: actions the risk engine held for review or blocked

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import jiedan_cli.server.db.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_holds',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('intent', sa.String(length=40), nullable=True),
    sa.Column('args', jiedan_cli.server.db.types.JSONText(), nullable=True),
    sa.Column('object_id', sa.String(length=36), nullable=True),
    sa.Column('counterpart_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('fired', jiedan_cli.server.db.types.JSONText(), server_default='[]', nullable=False),
    sa.Column('facts', jiedan_cli.server.db.types.JSONText(), server_default='{}', nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('outcome', jiedan_cli.server.db.types.JSONText(), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('op_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_risk_holds_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_holds'))
    )
    with op.batch_alter_table('risk_holds', schema=None) as batch_op:
        batch_op.create_index('ix_risk_holds_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_risk_holds_user_created', ['user_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('risk_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_holds_user_created')
        batch_op.drop_index('ix_risk_holds_status_created')

    op.drop_table('risk_holds')
