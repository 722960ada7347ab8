"""Every query of the jobs database; plain dicts in and out.

The API side is here; the engine side (leases, marking, recording) is in
:mod:`vmact.db.engine_api` and re-exported, so callers use this module
only. An unreachable database raises ``oslo_db.exception.DBConnectionError``.
"""

import json
import uuid

from oslo_db import exception as db_exc
from oslo_utils import timeutils
import sqlalchemy as sa

from vmact.db import engine_api
from vmact.db import models
from vmact.db import session

configure = session.configure
reset_for_tests = session.reset_for_tests

JOBS = models.JOBS
SERVERS = models.SERVERS
KEYS = models.KEYS

CANCELLED_MSG = 'Cancelled before it was sent'

# The engine side, re-exported.
claimable_jobs = engine_api.claimable_jobs
claim_job = engine_api.claim_job
renew_lease = engine_api.renew_lease
release_job = engine_api.release_job
next_pending = engine_api.next_pending
mark_sending = engine_api.mark_sending
record = engine_api.record
servers_in = engine_api.servers_in
set_states = engine_api.set_states
finish_job = engine_api.finish_job
wave_progress = engine_api.wave_progress
cancel_pending = engine_api.cancel_pending


class DuplicateKey(Exception):
    """The idempotency key is already stored for this tenant."""


class MarkerNotFound(Exception):
    """The marker job of a listing does not exist (or is not visible)."""


def _row(row):
    return dict(row._mapping) if row is not None else None


def _job_values(job, now):
    values = {c.name: job[c.name] for c in JOBS.columns if c.name in job}
    roles = values.get('roles')
    if isinstance(roles, (list, tuple)):
        values['roles'] = ','.join(roles)
    values.setdefault('id', str(uuid.uuid4()))
    values.setdefault('only_if_needed', False)
    values.setdefault('wait', 0)
    values.setdefault('created_at', now)
    values.update(status='INIT', cancel_requested=False, engine_id=None,
                  lease_expires_at=None, finished_at=None, updated_at=now)
    return values


def create_job(job, servers, idempotency=None, same_as=None,
               wave_size=None):
    """Write a job (INIT), its servers (pending) and its idempotency row.

    ``same_as`` maps a server ID to the earlier ID of the same server
    (another spelling, :meth:`vmact.backends.base.Backend.server_key`):
    its row is written ``skipped`` and is never sent.

    One transaction; the servers in one bulk insert. ``job`` holds the job
    columns (``id`` is made when absent; ``deadline`` is required;
    ``roles`` may be a list). ``idempotency`` holds ``tenant_id``, ``key``,
    ``fingerprint``, ``status``, ``headers`` (JSON-able), ``body``; with
    ``claimed=True`` it completes this request's in-progress claim
    (:func:`claim_idempotency`, same fingerprint) instead of inserting.
    Raises :class:`DuplicateKey` when the key is taken. ``wave_size``:
    each server's wave is its idx // wave_size. Returns the job.
    """
    now = timeutils.utcnow()
    values = _job_values(job, now)
    values['server_count'] = len(servers)
    same_as = same_as or {}
    # What every row shares is bound once, in values(); the executemany
    # carries only what differs (10,000 datetimes converted once, not
    # 10,000 times).
    shared = dict(job_id=values['id'], attempts=0, updated_at=now)
    rows, skipped = [], []
    for idx, server_id in enumerate(servers):
        row = {'idx': idx, 'server_id': server_id,
               'wave': idx // wave_size if wave_size else None}
        if server_id in same_as:
            row['msg'] = 'Same server as %s' % same_as[server_id]
            skipped.append(row)
        else:
            rows.append(row)
    with session.writer() as s:
        conn = s.connection()
        if idempotency:
            _store_key(conn, idempotency, values['id'], now)
        conn.execute(JOBS.insert(), values)
        if rows:
            conn.execute(SERVERS.insert().values(state='pending', **shared),
                         rows)
        if skipped:
            conn.execute(SERVERS.insert().values(state='skipped', code=200,
                                                 **shared), skipped)
    return get_job(values['id'])


def _store_key(conn, idem, job_id, now):
    done = {'status': idem['status'], 'job_id': job_id,
            'headers': json.dumps(idem.get('headers')),
            'body': _text(idem.get('body'))}
    if not idem.get('claimed'):
        try:
            conn.execute(KEYS.insert(), dict(
                done, tenant_id=idem['tenant_id'], key=idem['key'],
                fingerprint=idem['fingerprint'], created_at=now))
        except db_exc.DBDuplicateEntry:
            raise DuplicateKey(idem['key'])
        return
    result = conn.execute(KEYS.update().where(
        KEYS.c.tenant_id == idem['tenant_id'], KEYS.c.key == idem['key'],
        KEYS.c.fingerprint == idem['fingerprint'],
        KEYS.c.status.is_(None)).values(done))
    if result.rowcount != 1:
        raise DuplicateKey(idem['key'])


def _text(body):
    return body.decode('utf-8') if isinstance(body, bytes) else body


def get_job(job_id):
    """The job's columns, or None."""
    with session.reader() as s:
        return _row(s.execute(
            JOBS.select().where(JOBS.c.id == job_id)).first())


def job_counts(job_id):
    """{state: number of the job's servers in it}."""
    with session.reader() as s:
        return dict(s.execute(
            sa.select(SERVERS.c.state, sa.func.count())
            .where(SERVERS.c.job_id == job_id)
            .group_by(SERVERS.c.state)).all())


def job_servers(job_id, limit, after_idx=None):
    """Up to ``limit`` server rows in request order, after ``after_idx``."""
    query = SERVERS.select().where(SERVERS.c.job_id == job_id)
    if after_idx is not None:
        query = query.where(SERVERS.c.idx > after_idx)
    with session.reader() as s:
        return [_row(r) for r in s.execute(
            query.order_by(SERVERS.c.idx).limit(limit))]


def server_idx(job_id, server_id):
    """The position of ``server_id`` in the job, or None."""
    with session.reader() as s:
        return s.execute(sa.select(SERVERS.c.idx).where(
            SERVERS.c.job_id == job_id,
            SERVERS.c.server_id == server_id)).scalar()


def list_jobs(tenant_id, status, limit, marker_job_id=None):
    """Jobs newest first (created_at, then id, descending).

    Raises :class:`MarkerNotFound` when the marker is not a job this
    listing (tenant, status) would show.
    """
    filters = []
    if tenant_id is not None:
        filters.append(JOBS.c.tenant_id == tenant_id)
    if status is not None:
        filters.append(JOBS.c.status == status)
    with session.reader() as s:
        if marker_job_id is not None:
            marker = s.execute(sa.select(JOBS.c.created_at, JOBS.c.id).where(
                JOBS.c.id == marker_job_id, *filters)).first()
            if marker is None:
                raise MarkerNotFound(marker_job_id)
            filters.append(sa.or_(
                JOBS.c.created_at < marker.created_at,
                sa.and_(JOBS.c.created_at == marker.created_at,
                        JOBS.c.id < marker.id)))
        return [_row(r) for r in s.execute(
            JOBS.select().where(*filters).order_by(
                JOBS.c.created_at.desc(), JOBS.c.id.desc()).limit(limit))]


def request_cancel(job_id):
    """Ask a job to stop; its pending servers become cancelled.

    Returns how many were cancelled; a finished (or unknown) job is left
    as it is (0).
    """
    now = timeutils.utcnow()
    with session.writer() as s:
        conn = s.connection()
        asked = conn.execute(JOBS.update().where(
            JOBS.c.id == job_id,
            JOBS.c.status.in_(models.ACTIVE_STATUSES)).values(
                cancel_requested=True, updated_at=now))
        if asked.rowcount == 0:
            return 0
        return conn.execute(SERVERS.update().where(
            SERVERS.c.job_id == job_id, SERVERS.c.state == 'pending').values(
                state='cancelled', code=None, msg=CANCELLED_MSG,
                updated_at=now)).rowcount


def get_idempotency(tenant_id, key):
    """The stored key (``headers`` decoded), or None."""
    with session.reader() as s:
        found = _row(s.execute(KEYS.select().where(
            KEYS.c.tenant_id == tenant_id, KEYS.c.key == key)).first())
    if found and found['headers'] is not None:
        found['headers'] = json.loads(found['headers'])
    return found


def claim_idempotency(tenant_id, key, fingerprint):
    """Reserve ``key`` (status None: in progress); False if it exists."""
    try:
        with session.writer() as s:
            s.connection().execute(KEYS.insert(), {
                'tenant_id': tenant_id, 'key': key,
                'fingerprint': fingerprint, 'status': None,
                'created_at': timeutils.utcnow()})
    except db_exc.DBDuplicateEntry:
        return False
    return True


def store_idempotency(tenant_id, key, status, headers, body, job_id=None):
    """Complete a claim with the answer to replay; False if none was held."""
    with session.writer() as s:
        return s.connection().execute(KEYS.update().where(
            KEYS.c.tenant_id == tenant_id, KEYS.c.key == key,
            KEYS.c.status.is_(None)).values(
                status=status, headers=json.dumps(headers),
                body=_text(body), job_id=job_id)).rowcount == 1


def release_idempotency(tenant_id, key):
    """Drop an in-progress claim (an answer not to replay); True if held."""
    with session.writer() as s:
        return s.connection().execute(KEYS.delete().where(
            KEYS.c.tenant_id == tenant_id, KEYS.c.key == key,
            KEYS.c.status.is_(None))).rowcount == 1


def purge(before):
    """Delete what is older than ``before``; (jobs, keys) removed.

    Finished jobs with ``finished_at`` before it, with their servers, and
    idempotency keys created before it.
    """
    old = (JOBS.c.status.in_(models.FINAL_STATUSES),
           JOBS.c.finished_at < before)
    with session.writer() as s:
        conn = s.connection()
        conn.execute(SERVERS.delete().where(
            SERVERS.c.job_id.in_(sa.select(JOBS.c.id).where(*old))))
        jobs = conn.execute(JOBS.delete().where(*old)).rowcount
        keys = conn.execute(KEYS.delete().where(
            KEYS.c.created_at < before)).rowcount
    return jobs, keys
