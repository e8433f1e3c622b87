"""job_runs: scheduled jobs claimed once a period across processes

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 03:00:00
"""
from alembic import op
import sqlalchemy as sa
import jiedan_cli.server.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('period', sa.BigInteger(), nullable=False),
    sa.Column('runs', sa.BigInteger(), nullable=False),
    sa.Column('started_at', jiedan_cli.server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_job_runs'))
    )


def downgrade() -> None:
    op.drop_table('job_runs')
