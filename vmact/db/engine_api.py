"""The engine's queries: leases, marking servers sending, outcomes.

Every change is a conditional UPDATE: a job is claimed only when nobody
holds a live lease on it, a lease is renewed or released only by its
holder, a server is marked ``sending`` only from ``pending`` and only
while the caller holds the job's lease, and an outcome is recorded only
on rows still ``sending`` under the caller's token. Use through
:mod:`vmact.db.api`.
"""

import datetime

from oslo_utils import timeutils
import sqlalchemy as sa

from vmact.db import models
from vmact.db import session

JOBS = models.JOBS
SERVERS = models.SERVERS

# Columns an outcome may set; a value left out is NULL, except attempts
# (one more than before) and backend_request_id and accepted_at (kept).
_OUTCOME = ('state', 'code', 'msg', 'backend_request_id', 'not_before',
            'attempts', 'accepted_at', 'escalated')
_KEPT = ('attempts', 'backend_request_id', 'accepted_at', 'escalated')


def _row(row):
    return dict(row._mapping) if row is not None else None


def _unclaimed(now):
    return sa.and_(JOBS.c.status.in_(models.ACTIVE_STATUSES), sa.or_(
        JOBS.c.engine_id.is_(None), JOBS.c.lease_expires_at < now))


def _lease_held(job_id, engine_id, now):
    return sa.and_(JOBS.c.id == job_id, JOBS.c.engine_id == engine_id,
                   JOBS.c.lease_expires_at >= now,
                   JOBS.c.status.in_(models.ACTIVE_STATUSES))


def claimable_jobs(now, limit):
    """Ids of active jobs nobody holds a live lease on, oldest first."""
    with session.reader() as s:
        return list(s.execute(sa.select(JOBS.c.id).where(_unclaimed(now))
                              .order_by(JOBS.c.created_at, JOBS.c.id)
                              .limit(limit)).scalars())


def claim_job(job_id, engine_id, now, lease_time):
    """Take the job's lease (INIT becomes RUNNING); the job, or None."""
    expires = now + datetime.timedelta(seconds=lease_time)
    with session.writer() as s:
        conn = s.connection()
        claimed = conn.execute(JOBS.update().where(
            JOBS.c.id == job_id, _unclaimed(now)).values(
                engine_id=engine_id, lease_expires_at=expires, updated_at=now,
                status=sa.case((JOBS.c.status == 'INIT', 'RUNNING'),
                               else_=JOBS.c.status)))
        if claimed.rowcount != 1:
            return None
        return _row(conn.execute(
            JOBS.select().where(JOBS.c.id == job_id)).first())


def renew_lease(job_id, engine_id, now, lease_time):
    """Extend our lease; False when the job is no longer ours."""
    expires = now + datetime.timedelta(seconds=lease_time)
    with session.writer() as s:
        return s.connection().execute(JOBS.update().where(
            JOBS.c.id == job_id, JOBS.c.engine_id == engine_id,
            JOBS.c.status.in_(models.ACTIVE_STATUSES)).values(
                lease_expires_at=expires)).rowcount == 1


def release_job(job_id, engine_id):
    """Give the job back (graceful stop); False when it was not ours."""
    with session.writer() as s:
        return s.connection().execute(JOBS.update().where(
            JOBS.c.id == job_id, JOBS.c.engine_id == engine_id).values(
                engine_id=None, lease_expires_at=None)).rowcount == 1


def finish_job(job_id, engine_id, status, now):
    """Set the final status; False when the job is not ours or done."""
    if status not in models.FINAL_STATUSES:
        raise ValueError('not a final job status: %r' % (status,))
    with session.writer() as s:
        return s.connection().execute(JOBS.update().where(
            JOBS.c.id == job_id, JOBS.c.engine_id == engine_id,
            JOBS.c.status.in_(models.ACTIVE_STATUSES)).values(
                status=status, finished_at=now, updated_at=now,
                engine_id=None, lease_expires_at=None)).rowcount == 1


def next_pending(job_id, now, limit, max_wave=None):
    """[(idx, server_id)] of pending servers due now, in request order.

    ``max_wave``: only servers of that wave or an earlier one.
    """
    where = [SERVERS.c.job_id == job_id, SERVERS.c.state == 'pending',
             sa.or_(SERVERS.c.not_before.is_(None),
                    SERVERS.c.not_before <= now)]
    if max_wave is not None:
        where.append(SERVERS.c.wave <= max_wave)
    with session.reader() as s:
        return [tuple(r) for r in s.execute(
            sa.select(SERVERS.c.idx, SERVERS.c.server_id).where(*where)
            .order_by(SERVERS.c.idx).limit(limit))]


def wave_progress(job_id):
    """[(wave, state, escalated, count, last updated_at)] of a job."""
    group = (SERVERS.c.wave, SERVERS.c.state, SERVERS.c.escalated)
    with session.reader() as s:
        return [tuple(r) for r in s.execute(
            sa.select(*group, sa.func.count(),
                      sa.func.max(SERVERS.c.updated_at))
            .where(SERVERS.c.job_id == job_id).group_by(*group))]


def cancel_pending(job_id, msg):
    """Every pending server of the job ``cancelled`` with ``msg``."""
    with session.writer() as s:
        return s.connection().execute(SERVERS.update().where(
            SERVERS.c.job_id == job_id, SERVERS.c.state == 'pending').values(
                state='cancelled', code=None, msg=msg,
                updated_at=timeutils.utcnow())).rowcount


def mark_sending(job_id, engine_id, idxs, token, now):
    """Mark pending ``idxs`` sending under ``token``; the rows marked.

    Two statements: the UPDATE (guarded by state ``pending`` and by our
    lease on the job) and the SELECT of the rows carrying ``token``.
    Returns [] when the lease is not ours.
    """
    if not idxs:
        return []
    lease = sa.exists().where(_lease_held(job_id, engine_id, now))
    with session.writer() as s:
        conn = s.connection()
        conn.execute(SERVERS.update().where(
            SERVERS.c.job_id == job_id, SERVERS.c.idx.in_(list(idxs)),
            SERVERS.c.state == 'pending', lease).values(
                state='sending', send_token=token, sent_at=now,
                updated_at=now))
        return [tuple(r) for r in conn.execute(
            sa.select(SERVERS.c.idx, SERVERS.c.server_id).where(
                SERVERS.c.job_id == job_id, SERVERS.c.send_token == token,
                SERVERS.c.state == 'sending').order_by(SERVERS.c.idx))]


def _params(job_id, updates, now, extra=()):
    params = []
    for update in updates:
        state = update['state']
        if state not in models.SERVER_STATES:
            raise ValueError('not a server state: %r' % (state,))
        p = {'b_job_id': job_id, 'b_idx': update['idx'], 'b_now': now}
        for name in _OUTCOME + tuple(extra):
            p['b_' + name] = update.get(name)
        params.append(p)
    return params


def _outcome_values():
    values = {name: sa.bindparam('b_' + name) for name in _OUTCOME}
    values['attempts'] = sa.func.coalesce(sa.bindparam('b_attempts'),
                                          SERVERS.c.attempts + 1)
    for name in _KEPT[1:]:
        values[name] = sa.func.coalesce(sa.bindparam('b_' + name),
                                        SERVERS.c[name])
    values['updated_at'] = sa.bindparam('b_now')
    return values


def record(job_id, token, updates):
    """Write the outcomes of one chunk's calls; the rows changed.

    ``updates``: dicts with ``idx`` and ``state`` and optionally ``code``,
    ``msg``, ``backend_request_id``, ``not_before``, ``attempts`` (else
    one more), ``accepted_at``. Only rows still ``sending`` under
    ``token`` change: one executemany in one transaction.
    """
    if not updates:
        return 0
    params = _params(job_id, updates, timeutils.utcnow(), ('token',))
    for p in params:
        p['b_token'] = token
    statement = SERVERS.update().where(
        SERVERS.c.job_id == sa.bindparam('b_job_id'),
        SERVERS.c.idx == sa.bindparam('b_idx'),
        SERVERS.c.state == 'sending',
        SERVERS.c.send_token == sa.bindparam('b_token')).values(
            _outcome_values())
    with session.writer() as s:
        return s.connection().execute(statement, params).rowcount


def set_states(job_id, updates):
    """Move servers from the state each update names as ``old``.

    ``updates``: dicts with ``idx``, ``old``, ``state`` and the optional
    columns of :func:`record` (reconcile: sending to accepted, pending or
    failed; wait: accepted to succeeded or failed). Returns rows changed.
    """
    if not updates:
        return 0
    params = _params(job_id, updates, timeutils.utcnow(), ('old',))
    values = _outcome_values()
    values['attempts'] = sa.func.coalesce(sa.bindparam('b_attempts'),
                                          SERVERS.c.attempts)
    statement = SERVERS.update().where(
        SERVERS.c.job_id == sa.bindparam('b_job_id'),
        SERVERS.c.idx == sa.bindparam('b_idx'),
        SERVERS.c.state == sa.bindparam('b_old')).values(values)
    with session.writer() as s:
        return s.connection().execute(statement, params).rowcount


def servers_in(job_id, states):
    """The job's server rows in ``states``, in request order."""
    with session.reader() as s:
        return [_row(r) for r in s.execute(SERVERS.select().where(
            SERVERS.c.job_id == job_id, SERVERS.c.state.in_(list(states)))
            .order_by(SERVERS.c.idx))]
