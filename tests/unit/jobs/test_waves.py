"""Waves: which servers a job may send, the pause, the failure budget."""

import datetime

from oslo_utils import timeutils

from tests.unit import base as unit_base
from tests.unit.jobs import base as jobs_base
from vmact.db import api as db
from vmact import exception
from vmact.jobs import waves

T0 = datetime.datetime(2026, 12, 1, 12, 0, 0)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


class GateTest(unit_base.TestCase):
    """The gate from the rows' (wave, state, escalated, count, updated)."""

    W = waves.Waves(size=2, pause=10, max_failures=1)

    def gate(self, progress, now=at(100), wait=0, soft_first=False):
        return waves.gate(self.W, progress, wait, soft_first, now)

    def test_first_wave_only_while_it_is_not_done(self):
        found = self.gate([(0, 'sending', None, 1, at(0)),
                           (0, 'accepted', None, 1, at(1)),
                           (1, 'pending', None, 2, at(0))])
        self.assertEqual((0, None, 0), (found.wave, found.opens_at,
                                        found.failed))

    def test_next_wave_waits_for_the_pause_after_the_last_done(self):
        progress = [(0, 'accepted', None, 1, at(1)),
                    (0, 'failed', None, 1, at(5)),
                    (1, 'pending', None, 2, at(0))]
        closed = self.gate(progress, now=at(14))
        self.assertEqual((0, at(15), 1), (closed.wave, closed.opens_at,
                                          closed.failed))
        opened = self.gate(progress, now=at(15))
        self.assertEqual((1, None), (opened.wave, opened.opens_at))

    def test_with_wait_an_accepted_server_holds_its_wave(self):
        progress = [(0, 'accepted', None, 1, at(1)),
                    (0, 'succeeded', None, 1, at(2)),
                    (1, 'pending', None, 2, at(0))]
        self.assertEqual(0, self.gate(progress, wait=30).wave)
        self.assertEqual(1, self.gate(progress, wait=0).wave)

    def test_soft_first_holds_the_wave_until_the_escalation_is_decided(self):
        undecided = [(0, 'accepted', None, 2, at(1)),
                     (1, 'pending', None, 2, at(0))]
        self.assertEqual(0, self.gate(undecided, soft_first=True).wave)
        decided = [(0, 'accepted', False, 1, at(1)),
                   (0, 'accepted', True, 1, at(2)),
                   (1, 'pending', None, 2, at(0))]
        self.assertEqual(1, self.gate(decided, soft_first=True).wave)
        hard_pending = [(0, 'accepted', False, 1, at(1)),
                        (0, 'pending', True, 1, at(2)),
                        (1, 'pending', None, 2, at(0))]
        self.assertEqual(0, self.gate(hard_pending, soft_first=True).wave)

    def test_resend_pending_in_a_wave_holds_it(self):
        progress = [(0, 'accepted', None, 1, at(1)),
                    (0, 'pending', None, 1, at(2)),
                    (1, 'pending', None, 2, at(0))]
        self.assertEqual(0, self.gate(progress).wave)

    def test_all_done(self):
        found = self.gate([(0, 'accepted', None, 2, at(1)),
                           (1, 'skipped', None, 2, at(2))])
        self.assertEqual((1, None), (found.wave, found.opens_at))

    def test_budget(self):
        self.assertFalse(self.W.over_budget(1))
        self.assertTrue(self.W.over_budget(2))
        self.assertFalse(waves.Waves(3).over_budget(10 ** 6))

    def test_json_round_trip(self):
        self.assertEqual(self.W, waves.Waves.from_json(self.W.to_json()))
        self.assertIsNone(waves.Waves.from_json(None))


class FromBodyTest(unit_base.TestCase):

    def test_sync_request_with_waves_is_a_400_naming_it(self):
        e = self.assertRaises(exception.BadRequest, waves.from_body,
                              {'waves': {'size': 2}}, False, 3600)
        self.assertIn('"waves"', e.msg)
        self.assertIn('"async": true', e.msg)

    def test_pause_over_the_option_is_a_400(self):
        e = self.assertRaises(exception.BadRequest, waves.from_body,
                              {'waves': {'size': 2, 'pause': 61}}, True, 60)
        self.assertIn('"waves.pause"', e.msg)
        self.assertIn('max_wave_pause', e.msg)

    def test_defaults(self):
        self.assertEqual(waves.Waves(5, 0.0, None),
                         waves.from_body({'waves': {'size': 5}}, True, 60))
        self.assertIsNone(waves.from_body({}, False, 60))


class WaveJobTest(jobs_base.JobTestCase):
    """Jobs in waves on the simulator."""

    def wave_job(self, servers, size, pause=0, max_failures=None,
                 action='os-stop', **job):
        job.update(tenant_id=jobs_base.TENANT, region=jobs_base.REGION,
                   agent=jobs_base.AGENT, action=action, user_id='u1',
                   project_id=jobs_base.TENANT, request_id='req-1',
                   deadline=self.later(3600),
                   waves=waves.Waves(size, pause, max_failures).to_json())
        return db.create_job(job, list(servers), wave_size=size)

    def test_each_server_gets_its_wave_at_creation(self):
        job = self.wave_job(['on%d' % n for n in range(5)], 2)
        self.assertEqual([0, 0, 1, 1, 2],
                         [r['wave'] for r in db.job_servers(job['id'], 10)])

    def test_waves_are_sent_one_after_the_other_with_the_pause(self):
        self.flags(group='jobs', chunk_size=10)
        servers = ['on%d' % n for n in range(5)]
        job = self.run_job(self.wave_job(servers, 2, pause=0.3))
        self.assertEqual('SUCCESS', job['status'])
        self.assertEqual([('on0', 'on1'), ('on2', 'on3'), ('on4',)],
                         self.backend.calls)
        rows = self.rows(job['id'])
        for earlier, later in (('on1', 'on2'), ('on3', 'on4')):
            gap = rows[later]['sent_at'] - rows[earlier]['updated_at']
            self.assertGreaterEqual(gap.total_seconds(), 0.3)

    def test_with_wait_the_next_wave_waits_for_the_final_states(self):
        self.backend = jobs_base.make_backend(delay=0.2)
        self.flags(group='jobs', chunk_size=10)
        job = self.run_job(self.wave_job(['on0', 'on1', 'on2'], 2, wait=5))
        self.assertEqual('SUCCESS', job['status'])
        rows = self.rows(job['id'])
        self.assertEqual({'succeeded'}, {r['state'] for r in rows.values()})
        for earlier in ('on0', 'on1'):
            self.assertGreaterEqual(rows['on2']['sent_at'],
                                    rows[earlier]['updated_at'])
            self.assertGreaterEqual((rows[earlier]['updated_at'] -
                                     rows[earlier]['sent_at']
                                     ).total_seconds(), 0.2)

    def test_failure_budget_cancels_the_rest_and_fails_the_job(self):
        self.flags(group='jobs', chunk_size=10)
        servers = ['off0', 'on0', 'off1', 'on1', 'on2', 'on3']
        job = self.run_job(self.wave_job(servers, 2, max_failures=1))
        self.assertEqual('FAIL', job['status'])
        self.assertEqual([('off0', 'on0'), ('off1', 'on1')],
                         self.backend.calls)
        rows = self.rows(job['id'])
        self.assertEqual(['failed', 'accepted', 'failed', 'accepted',
                          'cancelled', 'cancelled'],
                         [rows[s]['state'] for s in servers])
        self.assertEqual('cancelled: failure budget of 1 exceeded',
                         rows['on2']['msg'])
        self.assertNotIn('on2', self.backend.sent)

    def test_within_the_budget_the_job_runs_to_its_end(self):
        self.flags(group='jobs', chunk_size=10)
        servers = ['off0', 'on0', 'on1', 'on2']
        job = self.run_job(self.wave_job(servers, 2, max_failures=1))
        self.assertEqual('PARTIAL', job['status'])
        self.assertEqual(4, sum(self.backend.sent.values()))

    def test_a_takeover_finds_where_the_waves_were(self):
        servers = ['on0', 'on1', 'on2', 'on3']
        job = self.wave_job(servers, 2, pause=60)
        done = timeutils.utcnow() - datetime.timedelta(seconds=30)
        db.set_states(job['id'], [
            {'idx': i, 'old': 'pending', 'state': 'accepted', 'code': 202,
             'accepted_at': done} for i in (0, 1)])
        with db.session.writer() as s:
            s.connection().execute(db.SERVERS.update().where(
                db.SERVERS.c.job_id == job['id']).values(updated_at=done))
        claimed = self.claim(job)
        runner = self.runner(claimed)
        gate = runner.waves.gate(timeutils.utcnow())
        self.assertEqual(0, gate.wave)
        self.assertEqual(done + datetime.timedelta(seconds=60),
                         gate.opens_at)
        self.assertEqual([], db.next_pending(job['id'], timeutils.utcnow(),
                                             10, gate.wave))
        later = runner.waves.gate(done + datetime.timedelta(seconds=60))
        self.assertEqual([(2, 'on2'), (3, 'on3')],
                         db.next_pending(job['id'], timeutils.utcnow(), 10,
                                         later.wave))
