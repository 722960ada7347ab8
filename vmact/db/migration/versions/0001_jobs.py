"""Jobs, their servers and idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'jobs',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('tenant_id', sa.String(64), nullable=False),
        sa.Column('region', sa.String(255), nullable=False),
        sa.Column('agent', sa.String(255), nullable=False),
        sa.Column('action', sa.String(16), nullable=False),
        sa.Column('reboot_type', sa.String(8), nullable=True),
        sa.Column('only_if_needed', sa.Boolean, nullable=False),
        sa.Column('wait', sa.Float, nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('user_id', sa.String(255), nullable=True),
        sa.Column('project_id', sa.String(255), nullable=True),
        sa.Column('roles', sa.Text, nullable=True),
        sa.Column('request_id', sa.String(64), nullable=True),
        sa.Column('trust_id', sa.String(64), nullable=True),
        sa.Column('server_count', sa.Integer, nullable=False),
        sa.Column('cancel_requested', sa.Boolean, nullable=False),
        sa.Column('engine_id', sa.String(255), nullable=True),
        sa.Column('lease_expires_at', sa.DateTime, nullable=True),
        sa.Column('deadline', sa.DateTime, nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=False),
        sa.Column('finished_at', sa.DateTime, nullable=True),
    )
    op.create_index('jobs_tenant_created_idx', 'jobs',
                    ['tenant_id', 'created_at'])
    op.create_index('jobs_status_lease_idx', 'jobs',
                    ['status', 'lease_expires_at'])
    op.create_table(
        'job_servers',
        sa.Column('job_id', sa.String(36), sa.ForeignKey('jobs.id'),
                  primary_key=True),
        sa.Column('idx', sa.Integer, primary_key=True,
                  autoincrement=False),
        sa.Column('server_id', sa.String(64), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('code', sa.Integer, nullable=True),
        sa.Column('msg', sa.Text, nullable=True),
        sa.Column('attempts', sa.Integer, nullable=False),
        sa.Column('not_before', sa.DateTime, nullable=True),
        sa.Column('send_token', sa.String(64), nullable=True),
        sa.Column('sent_at', sa.DateTime, nullable=True),
        sa.Column('accepted_at', sa.DateTime, nullable=True),
        sa.Column('backend_request_id', sa.String(255), nullable=True),
        sa.Column('updated_at', sa.DateTime, nullable=False),
    )
    op.create_index('job_servers_state_idx', 'job_servers',
                    ['job_id', 'state', 'idx'])
    op.create_table(
        'idempotency_keys',
        sa.Column('tenant_id', sa.String(64), primary_key=True),
        sa.Column('key', sa.String(255), primary_key=True),
        sa.Column('fingerprint', sa.String(64), nullable=False),
        sa.Column('job_id', sa.String(36), nullable=True),
        sa.Column('status', sa.Integer, nullable=True),
        sa.Column('headers', sa.Text, nullable=True),
        sa.Column('body', sa.Text, nullable=True),
        sa.Column('created_at', sa.DateTime, nullable=False),
    )
