"""SOFT_FIRST: SOFT, HARD at once on a 409, HARD after grace for laggards."""

import datetime
import threading

from oslo_utils import timeutils
from oslo_utils import uuidutils

from tests.unit import base as unit_base
from tests.unit.jobs import base as jobs_base
from vmact.backends import base
from vmact.backends import soft_first
from vmact.db import api as db
from vmact.jobs import escalation
from vmact.jobs import rate
from vmact.jobs import runner as job_runner

ACTION = base.Action(base.REBOOT, base.SOFT_FIRST, grace=30)
TARGET = base.Target('t', 'R', ('a', 'b', 'c', 'd'))
ACTIVE = base.ServerState('ACTIVE')


class SyncTest(unit_base.TestCase):
    """soft_first.act with a scripted send and show."""

    def setUp(self):
        super().setUp()
        self.sent = []
        self.slept = []
        self.soft = {'a': 202, 'b': 409, 'c': 202, 'd': 404}
        self.states = {'a': ACTIVE, 'c': base.ServerState('REBOOT',
                                                          'rebooting')}

    def send(self, target, action):
        self.sent.append((action.reboot_type, target.servers))
        codes = self.soft if action.reboot_type == base.SOFT else {}
        return [base.Outcome(s, codes.get(s, 202), 'said %s' % s)
                for s in target.servers]

    def show(self, target):
        return [base.Outcome(s, 200, state=self.states[s])
                for s in target.servers]

    def test_escalations(self):
        outcomes, escalated = soft_first.act(self.send, self.show, TARGET,
                                             ACTION, self.slept.append)
        self.assertEqual([('SOFT', ('a', 'b', 'c', 'd')), ('HARD', ('b',)),
                          ('HARD', ('c',))], self.sent)
        self.assertEqual([30], self.slept)
        self.assertEqual(['b', 'c'], escalated)
        self.assertEqual([202, 202, 202, 404], [o.code for o in outcomes])
        self.assertEqual('SOFT reboot refused (409); HARD reboot sent: said b',
                         outcomes[1].msg)
        self.assertIn('Not back in ACTIVE 30s', outcomes[2].msg)
        self.assertEqual('said a', outcomes[0].msg)

    def test_no_grace_wait_when_no_soft_was_accepted(self):
        self.soft = dict.fromkeys('abcd', 404)
        outcomes, escalated = soft_first.act(self.send, self.show, TARGET,
                                             ACTION, self.slept.append)
        self.assertEqual([], self.slept)
        self.assertEqual([], escalated)
        self.assertEqual(1, len(self.sent))

    def test_an_unreadable_server_keeps_its_soft_outcome(self):
        def show(target):
            return [base.Outcome(s, 404, 'gone') for s in target.servers]
        outcomes, escalated = soft_first.act(self.send, show, TARGET, ACTION,
                                             self.slept.append)
        self.assertEqual(['b'], escalated)
        self.assertEqual('said c', outcomes[2].msg)

    def test_lagging(self):
        self.assertFalse(soft_first.lagging(base.Outcome('a', 200,
                                                         state=ACTIVE)))
        for state in (base.ServerState('ACTIVE', 'rebooting'),
                      base.ServerState('SHUTOFF'),
                      base.ServerState('HARD_REBOOT', 'rebooting_hard')):
            self.assertTrue(soft_first.lagging(base.Outcome('a', 200,
                                                            state=state)))
        self.assertFalse(soft_first.lagging(base.Outcome('a', 503)))

    def test_skew_of_an_escalated_row_stays_under_half_the_grace(self):
        five = datetime.timedelta(seconds=5)
        self.assertEqual(datetime.timedelta(seconds=1), escalation.skew(
            five, {'escalated': True}, 2))
        self.assertEqual(five, escalation.skew(five, {'escalated': None}, 2))


class JobTest(jobs_base.JobTestCase):
    """SOFT_FIRST jobs on the simulator."""

    def soft_first_job(self, servers, grace, **job):
        return self.new_job(servers, action=base.REBOOT, reboot_type='SOFT',
                            grace=grace, **job)

    def test_refused_soft_escalates_at_once_and_laggards_after_grace(self):
        self.backend = jobs_base.make_backend(delay=3.0)
        self.flags(group='jobs', chunk_size=10)
        job = self.run_job(self.soft_first_job(['on0', 'off0'], 0.2))
        self.assertEqual('SUCCESS', job['status'])
        self.assertEqual({'on0': 2, 'off0': 2}, dict(self.backend.sent))
        rows = self.rows(job['id'])
        self.assertEqual({True}, {r['escalated'] for r in rows.values()})
        self.assertIn('SOFT reboot refused (409); HARD reboot sent',
                      rows['off0']['msg'])
        self.assertIn('Not back in ACTIVE 0.2s', rows['on0']['msg'])
        self.assertEqual([('on0', 'off0'), ('off0',), ('on0',)],
                         self.backend.calls)

    def test_a_server_back_in_time_is_not_escalated(self):
        self.flags(group='jobs', chunk_size=10)
        job = self.run_job(self.soft_first_job(['on0', 'on1'], 0.1))
        self.assertEqual('SUCCESS', job['status'])
        self.assertEqual({'on0': 1, 'on1': 1}, dict(self.backend.sent))
        self.assertEqual({False}, {r['escalated'] for r in
                                   self.rows(job['id']).values()})

    def test_takeover_checks_an_accepted_soft_at_accepted_at_plus_grace(self):
        self.backend = jobs_base.make_backend(delay=30)
        job = self.soft_first_job(['on0'], 5)
        accepted = timeutils.utcnow() - datetime.timedelta(seconds=10)
        self.backend.send(None, self.backend_target(['on0']),
                          base.Action(base.REBOOT, base.SOFT))
        db.set_states(job['id'], [{'idx': 0, 'old': 'pending',
                                   'state': 'accepted', 'code': 202,
                                   'accepted_at': accepted}])
        job = self.run_job(job)
        self.assertEqual('SUCCESS', job['status'])
        self.assertEqual(2, self.backend.sent['on0'])
        self.assertTrue(self.rows(job['id'])['on0']['escalated'])

    def test_a_hard_in_flight_at_a_crash_is_reconciled_not_resent(self):
        self.backend = jobs_base.make_backend(delay=30)
        job = self.soft_first_job(['on0', 'on1'], 5)
        self.backend.send(None, self.backend_target(['on0', 'on1']),
                          base.Action(base.REBOOT, base.SOFT))
        self.assertIsNotNone(self.claim(job, 'dead'))
        db.set_states(job['id'], [
            {'idx': i, 'old': 'pending', 'state': 'pending',
             'escalated': True, 'msg': 'lagging'} for i in (0, 1)])
        marked = db.mark_sending(job['id'], 'dead', [0, 1],
                                 uuidutils.generate_uuid(),
                                 timeutils.utcnow())
        self.assertEqual(2, len(marked))
        self.backend.send(None, self.backend_target(['on0']),
                          base.Action(base.REBOOT, base.HARD))
        with db.session.writer() as s:
            s.connection().execute(db.JOBS.update().where(
                db.JOBS.c.id == job['id']).values(
                    lease_expires_at=timeutils.utcnow() -
                    datetime.timedelta(seconds=1)))
        job = self.run_job(job)
        self.assertEqual({'on0': 2, 'on1': 2}, dict(self.backend.sent))
        rows = self.rows(job['id'])
        self.assertEqual(job_runner.RECEIVED_MSG, rows['on0']['msg'])
        self.assertEqual('accepted', rows['on1']['state'])

    def backend_target(self, servers):
        return base.Target(jobs_base.TENANT, jobs_base.REGION,
                           tuple(servers))

    def test_wait_follows_only_decided_servers(self):
        self.backend = jobs_base.make_backend(delay=1.5)
        self.flags(group='jobs', chunk_size=10)
        job = self.claim(self.soft_first_job(['on0'], 0.1, wait=10))
        runner = job_runner.JobRunner(self.conf, self.backend, job,
                                      jobs_base.ENGINE, threading.Event(),
                                      limiter=rate.TokenBucket(0, 1))
        self.assertTrue(runner.run())
        row = self.rows(job['id'])['on0']
        self.assertEqual(('succeeded', 200, True),
                         (row['state'], row['code'], row['escalated']))
