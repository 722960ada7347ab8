"""SQLAlchemy models of the jobs database.

Jobs, their servers and idempotency keys; every datetime is naive UTC.
"""

import sqlalchemy as sa
from sqlalchemy import orm

BASE = orm.declarative_base()

JOB_STATUSES = ('INIT', 'RUNNING', 'SUCCESS', 'PARTIAL', 'FAIL', 'CANCELLED')
ACTIVE_STATUSES = ('INIT', 'RUNNING')
FINAL_STATUSES = ('SUCCESS', 'PARTIAL', 'FAIL', 'CANCELLED')
SERVER_STATES = ('pending', 'sending', 'accepted', 'succeeded', 'skipped',
                 'failed', 'cancelled')


class Job(BASE):
    """One asynchronous batch action: who asked, what, and its progress."""

    __tablename__ = 'jobs'
    __table_args__ = (
        sa.Index('jobs_tenant_created_idx', 'tenant_id', 'created_at'),
        sa.Index('jobs_status_lease_idx', 'status', 'lease_expires_at'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    tenant_id = sa.Column(sa.String(64), nullable=False)
    region = sa.Column(sa.String(255), nullable=False)
    agent = sa.Column(sa.String(255), nullable=False)
    action = sa.Column(sa.String(16), nullable=False)
    reboot_type = sa.Column(sa.String(8), nullable=True)
    only_if_needed = sa.Column(sa.Boolean, nullable=False, default=False)
    wait = sa.Column(sa.Float, nullable=False, default=0)
    status = sa.Column(sa.String(16), nullable=False, default='INIT')
    user_id = sa.Column(sa.String(255), nullable=True)
    project_id = sa.Column(sa.String(255), nullable=True)
    roles = sa.Column(sa.Text, nullable=True)
    request_id = sa.Column(sa.String(64), nullable=True)
    trust_id = sa.Column(sa.String(64), nullable=True)
    server_count = sa.Column(sa.Integer, nullable=False, default=0)
    cancel_requested = sa.Column(sa.Boolean, nullable=False, default=False)
    engine_id = sa.Column(sa.String(255), nullable=True)
    lease_expires_at = sa.Column(sa.DateTime, nullable=True)
    deadline = sa.Column(sa.DateTime, nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False)
    updated_at = sa.Column(sa.DateTime, nullable=False)
    finished_at = sa.Column(sa.DateTime, nullable=True)
    #: ``{"size", "pause", "max_failures"}`` as JSON, or NULL (no waves).
    waves = sa.Column(sa.Text, nullable=True)
    #: SOFT_FIRST's grace in seconds (reboot_type SOFT), or NULL.
    grace = sa.Column(sa.Float, nullable=True)


class JobServer(BASE):
    """One server of a job, in request order (``idx`` 0..n-1)."""

    __tablename__ = 'job_servers'
    __table_args__ = (
        sa.Index('job_servers_state_idx', 'job_id', 'state', 'idx'),
    )

    job_id = sa.Column(sa.String(36), sa.ForeignKey('jobs.id'),
                       primary_key=True)
    idx = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    server_id = sa.Column(sa.String(64), nullable=False)
    state = sa.Column(sa.String(16), nullable=False)
    code = sa.Column(sa.Integer, nullable=True)
    msg = sa.Column(sa.Text, nullable=True)
    attempts = sa.Column(sa.Integer, nullable=False)
    not_before = sa.Column(sa.DateTime, nullable=True)
    send_token = sa.Column(sa.String(64), nullable=True)
    sent_at = sa.Column(sa.DateTime, nullable=True)
    accepted_at = sa.Column(sa.DateTime, nullable=True)
    backend_request_id = sa.Column(sa.String(255), nullable=True)
    updated_at = sa.Column(sa.DateTime, nullable=False)
    #: idx // the job's wave size, or NULL (no waves).
    wave = sa.Column(sa.Integer, nullable=True)
    #: SOFT_FIRST: NULL until decided, False (no HARD needed), True (HARD).
    escalated = sa.Column(sa.Boolean, nullable=True)


class IdempotencyKey(BASE):
    """The first answer to a POST with an ``Idempotency-Key``."""

    __tablename__ = 'idempotency_keys'

    tenant_id = sa.Column(sa.String(64), primary_key=True)
    key = sa.Column(sa.String(255), primary_key=True)
    fingerprint = sa.Column(sa.String(64), nullable=False)
    job_id = sa.Column(sa.String(36), nullable=True)
    status = sa.Column(sa.Integer, nullable=True)
    headers = sa.Column(sa.Text, nullable=True)
    body = sa.Column(sa.Text, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False)


JOBS = Job.__table__
SERVERS = JobServer.__table__
KEYS = IdempotencyKey.__table__
