"""Waves of a job and SOFT_FIRST escalation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('jobs', sa.Column('waves', sa.Text, nullable=True))
    op.add_column('jobs', sa.Column('grace', sa.Float, nullable=True))
    op.add_column('job_servers', sa.Column('wave', sa.Integer,
                                           nullable=True))
    op.add_column('job_servers', sa.Column('escalated', sa.Boolean,
                                           nullable=True))
