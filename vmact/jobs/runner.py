"""Run one job: reconcile, send in chunks, resend refusals, wait, finish.

The exactly-once rule (``doc/source/jobs.rst``): a server row is marked
``sending`` in a committed transaction before its call starts, and its
outcome is written after. Rows found ``sending`` when a runner starts are
therefore calls a previous engine may or may not have made; the backend
is asked (:meth:`~vmact.backends.base.Backend.received`) before anything
is sent: received -> ``accepted``, not received -> ``pending`` (sent by
the normal loop), not known -> ``failed`` 502, never sent again.

Then, chunk by chunk (``[jobs] chunk_size``): the due pending servers,
tokens of the (agent, region) bucket, ``mark_sending``, one backend
``act``, one ``record``. A refusal that says the call was not accepted
(429; 503 with a Retry-After) is sent again after that time, at most
``[jobs] max_resends`` times; anything else is final. With ``wait`` the
accepted servers are followed (:mod:`vmact.jobs.follow`). The runner
stops before its next chunk once ``cancel_event`` is set (lost lease,
engine stopping), leaving the job to be taken over.
"""

import datetime
import itertools

from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils

from vmact.backends import base
from vmact.db import api as db
from vmact import exception
from vmact.jobs import escalation
from vmact.jobs import follow
from vmact.jobs import rate
from vmact.jobs import trusts
from vmact.jobs import waves
from vmact import metrics

LOG = logging.getLogger(__name__)

GOOD = ('accepted', 'succeeded', 'skipped')
RECEIVED_MSG = 'Received by the backend before an engine restart; not sent ' \
               'again'
UNKNOWN_MSG = 'Not known whether %s was received before an engine ' \
              'restart; not sent again'
DEADLINE_MSG = 'Not sent: the job deadline passed first'


def final_status(counts, cancel_requested):
    """The job's status from ``{state: n}`` once every server is final."""
    good = sum(counts.get(state, 0) for state in GOOD)
    if good == sum(counts.values()):
        return 'SUCCESS'
    if cancel_requested and counts.get('cancelled'):
        return 'CANCELLED'
    return 'FAIL' if good == 0 else 'PARTIAL'


not_accepted = base.not_accepted


class JobRunner(object):
    """Runs one claimed job in the calling thread.

    :param job: the job's row (a dict), as :func:`claim_job` returns it.
    :param cancel_event: a ``threading.Event``; once set the runner
        stops before its next database round.
    """

    def __init__(self, conf, backend, job, engine_id, cancel_event,
                 limiter=None):
        self.conf = conf
        self.opts = conf.jobs
        self.backend = backend
        self.job = job
        self.job_id = job['id']
        self.engine_id = engine_id
        self.cancel_event = cancel_event
        self.limiter = limiter or rate.limiter_for(conf, backend.agent,
                                                   job['region'])
        reboot_type = job['reboot_type'] or (
            base.SOFT if job['action'] == base.REBOOT else None)
        self.action = base.Action(job['action'], reboot_type,
                                  bool(job['only_if_needed']),
                                  float(job['wait'] or 0))
        self.action = escalation.action_of(job, self.action)
        self.escalation = escalation.of(self)
        job_waves = waves.Waves.from_json(job.get('waves'))
        self.waves = job_waves and waves.Control(self, job_waves)
        self.context = None
        self.follower = None

    def target(self, servers):
        return base.Target(self.job['tenant_id'], self.job['region'],
                           tuple(servers))

    def run(self):
        """Run until every server is final; True when the job finished.

        False when it stopped first (``cancel_event``): the job stays
        RUNNING for its next owner.
        """
        self.context = trusts.context_for(self.conf, self.job)
        self.context.update_store()
        self.follower = follow.Follower(self)
        self.reconcile()
        accepted = db.servers_in(self.job_id, ['accepted'])
        if self.escalation:
            accepted = self.escalation.resume(accepted)
        if self.action.wait:
            self.follower.resume(accepted)
        while not self.cancel_event.is_set() and self.step():
            pass
        if self.cancel_event.is_set():
            LOG.info('Job %s: stopped before its end; left for its next '
                     'owner', self.job_id)
            return False
        return self.finish()

    def step(self):
        """One round: expire, poll, send a chunk or sleep; False when done."""
        now = timeutils.utcnow()
        if now >= self.job['deadline']:
            self.expire()
            return False
        self.follower.poll(now)
        if self.escalation:
            self.escalation.poll(now)
        gate = self.waves.gate(now) if self.waves else waves.OPEN
        due = db.next_pending(self.job_id, now, self.opts.chunk_size,
                              gate.wave)
        if due:
            self.send(due)
            return True
        wake = [t for t in (self.follower.next_poll(), self._next_resend(),
                            gate.opens_at, self.escalation and
                            self.escalation.next_check()) if t is not None]
        if not wake:
            return False
        pause = (min(wake + [self.job['deadline']]) - now).total_seconds()
        self.cancel_event.wait(max(0.0, pause))
        return True

    def _next_resend(self):
        """When the first refused server may be sent again, or None."""
        return min((row['not_before'] for row in
                    db.servers_in(self.job_id, ['pending'])
                    if row['not_before'] is not None), default=None)

    def send(self, due, action=None, why=None):
        """Mark one chunk sending, act once, record every outcome.

        SOFT_FIRST: :meth:`Escalation.send` sends its SOFTs and HARDs
        apart (``action``), with each HARD's reason (``why``).
        """
        if self.escalation and action is None:
            return self.escalation.send(due)
        action = action or self.action
        if not self.limiter.acquire(len(due), self.cancel_event):
            return
        token = uuidutils.generate_uuid()
        marked = db.mark_sending(self.job_id, self.engine_id,
                                 [idx for idx, _ in due], token,
                                 timeutils.utcnow())
        if not marked:
            if not self._lease_is_ours():
                LOG.warning('Job %s: lease lost; stopping', self.job_id)
                self.cancel_event.set()
            return
        servers = [server for _, server in marked]
        try:
            with metrics.backend_call(self.backend.agent, self.job['region'],
                                      'act'):
                outcomes = self.backend.act(
                    self.context, self.target(servers), action)
        except exception.VmactError as e:
            outcomes = [base.Outcome(server, e.code, e.msg)
                        for server in servers]
        metrics.count_outcomes(self.backend.agent, self.action.name, outcomes)
        now = timeutils.utcnow()
        attempts = self._attempts(token) if any(
            not_accepted(o) for o in outcomes) else {}
        updates = [self._update(idx, outcome, now, attempts.get(idx, 0))
                   for (idx, _), outcome in zip(marked, outcomes)]
        if self.escalation:
            updates = [self.escalation.after_send(u, o, action,
                                                  why.get(u['idx']))
                       for u, o in zip(updates, outcomes)]
        db.record(self.job_id, token, updates)
        for update, outcome in zip(updates, outcomes):
            self.audit(outcome, update['state'])
            if update['state'] != 'accepted':
                continue
            if self.escalation and action.reboot_type == base.SOFT:
                self.escalation.add(update['idx'], outcome.server, now)
            elif self.action.wait:
                self.follower.add(update['idx'], outcome.server, now)

    def _attempts(self, token):
        return {row['idx']: row['attempts'] for row in
                db.servers_in(self.job_id, ['sending'])
                if row['send_token'] == token}

    def _update(self, idx, outcome, now, attempts):
        """The row's new state for ``outcome``; ``attempts`` sends before."""
        update = {'idx': idx, 'code': outcome.code, 'msg': outcome.msg,
                  'backend_request_id': outcome.backend_request_id}
        if outcome.code == 202:
            update.update(state='accepted', accepted_at=now)
        elif outcome.ok:
            update['state'] = 'skipped'
        elif not_accepted(outcome) and attempts < self.opts.max_resends:
            pause = min(outcome.retry_after or 1, self.opts.max_retry_after)
            update.update(state='pending', not_before=now +
                          datetime.timedelta(seconds=pause))
        else:
            update['state'] = 'failed'
            if not_accepted(outcome):
                update['msg'] = '%s (not sent again after %d resends)' % (
                    outcome.msg, attempts)
        return update

    def reconcile(self):
        """Settle rows a previous engine left ``sending`` (see the module)."""
        rows = sorted(db.servers_in(self.job_id, ['sending']),
                      key=lambda row: (row['send_token'] or '', row['idx']))
        by_token = itertools.groupby(rows, key=lambda row: row['send_token'])
        skew = datetime.timedelta(seconds=self.opts.reconcile_clock_skew)
        for _, group in by_token:
            group = list(group)
            since = min(row['sent_at'] for row in group) - (
                escalation.skew(skew, group[0], self.job.get('grace')))
            servers = [row['server_id'] for row in group]
            found = self._received(servers, since)
            updates = [self._reconciled(row, found.get(row['server_id']))
                       for row in group]
            db.set_states(self.job_id, updates)
            for row, update in zip(group, updates):
                if update['state'] != 'pending':
                    self.audit(base.Outcome(row['server_id'], update['code'],
                                            update['msg']), update['state'])

    def _received(self, servers, since):
        try:
            with metrics.backend_call(self.backend.agent, self.job['region'],
                                      'received'):
                return self.backend.received(
                    self.context, self.target(servers), self.action, since)
        except exception.VmactError as e:
            LOG.warning('Job %s: the backend could not tell which calls '
                        'were received: %s', self.job_id, e.msg)
            return {}

    def _reconciled(self, row, received):
        update = {'idx': row['idx'], 'old': 'sending'}
        if received is True:
            update.update(state='accepted', code=202, msg=RECEIVED_MSG,
                          accepted_at=row['sent_at'])
        elif received is False:
            update.update(state='pending', attempts=row['attempts'])
        else:
            update.update(state='failed', code=502,
                          msg=UNKNOWN_MSG % self.action)
        return update

    def expire(self):
        """The deadline passed: pending servers fail (504), and followed."""
        pending = db.servers_in(self.job_id, ['pending'])
        db.set_states(self.job_id, [
            {'idx': row['idx'], 'old': 'pending', 'state': 'failed',
             'code': 504, 'msg': DEADLINE_MSG} for row in pending])
        for row in pending:
            self.audit(base.Outcome(row['server_id'], 504, DEADLINE_MSG),
                       'failed')
        self.follower.expire()

    def finish(self):
        """Set the final status, then drop the job's trust."""
        job = db.get_job(self.job_id)
        if job is None or job['status'] not in ('INIT', 'RUNNING'):
            return job is not None
        counts = db.job_counts(self.job_id)
        status = final_status(counts, job['cancel_requested'])
        if self.waves:
            status = self.waves.final_status(status, counts)
        if not db.finish_job(self.job_id, self.engine_id, status,
                             timeutils.utcnow()):
            LOG.warning('Job %s: not ours any more; not finished here',
                        self.job_id)
            return False
        LOG.info('Job %s finished: %s', self.job_id, status)
        if job.get('trust_id'):
            trusts.delete(self.conf, job['trust_id'])
        return True

    def _lease_is_ours(self):
        job = db.get_job(self.job_id)
        return bool(job and job['engine_id'] == self.engine_id and
                    job['lease_expires_at'] and
                    job['lease_expires_at'] >= timeutils.utcnow())

    def audit(self, outcome, state):
        """The audit line of app.py, with the job and the row's state."""
        LOG.info('audit: request_id=%(req)s user=%(user)s '
                 'project=%(project)s agent=%(agent)s region=%(region)s '
                 'tenant=%(tenant)s server=%(server)s action=%(action)s '
                 'outcome=%(code)d %(msg)s job=%(job)s state=%(state)s',
                 {'req': self.job.get('request_id'),
                  'user': self.job.get('user_id'),
                  'project': self.job.get('project_id'),
                  'agent': self.backend.agent, 'region': self.job['region'],
                  'tenant': self.job['tenant_id'], 'server': outcome.server,
                  'action': self.action, 'code': outcome.code,
                  'msg': exception.quote(outcome.msg, 200),
                  'job': self.job_id, 'state': state})
