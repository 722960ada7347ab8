"""One job's run: chunks, outcomes, resends, cancel, deadline, finish."""

import datetime
import threading
from unittest import mock

import fixtures
from oslo_utils import timeutils

from tests.unit.jobs import base as jobs_base
from vmact.backends import base
from vmact import context as vmact_context
from vmact.db import api as db
from vmact import exception
from vmact.jobs import runner as job_runner


class RunTest(jobs_base.JobTestCase):

    def test_every_server_is_sent_once_chunk_by_chunk(self):
        servers = ['on%d' % n for n in range(5)]
        job = self.run_job(self.new_job(servers))
        self.assertEqual('SUCCESS', job['status'])
        self.assertIsNotNone(job['finished_at'])
        self.assertIsNone(job['engine_id'])
        self.assertEqual([('on0', 'on1', 'on2'), ('on3', 'on4')],
                         self.backend.calls)
        self.assertEqual(dict.fromkeys(servers, ('accepted', 202)),
                         self.outcomes(job['id']))
        rows = self.rows(job['id'])
        self.assertTrue(all(r['attempts'] == 1 and r['accepted_at'] and
                            r['sent_at'] for r in rows.values()))

    def test_two_writes_per_chunk(self):
        job = self.claim(self.new_job(['on%d' % n for n in range(5)]))
        seen = self.count_statements()
        self.assertTrue(self.runner(job).run())
        writes = [word for word, _ in seen if word == 'UPDATE']
        # mark_sending + record per chunk (2 chunks), finish_job.
        self.assertEqual(5, len(writes))
        self.assertIn(('UPDATE', True), seen)

    def test_only_if_needed_skips_servers_already_there(self):
        job = self.run_job(self.new_job(['on0', 'off0'],
                                        only_if_needed=True))
        self.assertEqual({'on0': ('accepted', 202), 'off0': ('skipped', 200)},
                         self.outcomes(job['id']))
        self.assertEqual('SUCCESS', job['status'])
        self.assertEqual('already SHUTOFF',
                         self.rows(job['id'])['off0']['msg'])

    def test_refusals_fail_with_their_code_and_message(self):
        job = self.run_job(self.new_job(['on0', 'off0', 'nosuch']))
        self.assertEqual({'on0': ('accepted', 202), 'off0': ('failed', 409),
                          'nosuch': ('failed', 404)},
                         self.outcomes(job['id']))
        self.assertEqual('PARTIAL', job['status'])
        self.assertIn("Cannot 'stop' instance off0",
                      self.rows(job['id'])['off0']['msg'])

    def test_nothing_accepted_is_a_failed_job(self):
        job = self.run_job(self.new_job(['off0', 'nosuch']))
        self.assertEqual('FAIL', job['status'])

    def test_a_whole_request_error_fails_the_chunk(self):
        self.backend.before_send = mock.Mock(
            side_effect=exception.BackendUnavailable('Keystone is down'))
        job = self.run_job(self.new_job(['on0', 'on1']))
        self.assertEqual({'on0': ('failed', 503), 'on1': ('failed', 503)},
                         self.outcomes(job['id']))
        self.assertEqual('FAIL', job['status'])

    def test_the_backends_request_id_is_recorded(self):
        self.backend.script['on0'] = [base.Outcome(
            'on0', 202, backend_request_id='req-nova-1')]
        job = self.run_job(self.new_job(['on0']))
        self.assertEqual('req-nova-1',
                         self.rows(job['id'])['on0']['backend_request_id'])

    def test_every_outcome_has_an_audit_line_naming_the_job(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='vmact.jobs.runner'))
        job = self.run_job(self.new_job(['on0', 'off0']))
        lines = [line for line in logger.output.splitlines()
                 if line.startswith('audit:')]
        self.assertEqual(2, len(lines))
        self.assertIn('audit: request_id=req-1 user=u1 project=t agent=sim '
                      'region=R tenant=t server=on0 action=os-stop '
                      'outcome=202', lines[0])
        self.assertIn('job=%s state=accepted' % job['id'], lines[0])
        self.assertIn('server=off0 action=os-stop outcome=409', lines[1])

    def test_the_trust_is_deleted_when_the_job_ends(self):
        delete = self.useFixture(fixtures.MockPatch(
            'vmact.jobs.trusts.delete')).mock
        self.useFixture(fixtures.MockPatch(
            'vmact.jobs.trusts.context_for',
            return_value=vmact_context.RequestContext()))
        job = self.run_job(self.new_job(['on0'], trust_id='trust-1'))
        self.assertEqual('SUCCESS', job['status'])
        delete.assert_called_once_with(self.conf, 'trust-1')

    def test_service_mode_jobs_have_no_trust_to_delete(self):
        delete = self.useFixture(fixtures.MockPatch(
            'vmact.jobs.trusts.delete')).mock
        self.run_job(self.new_job(['on0']))
        delete.assert_not_called()


class ResendTest(jobs_base.JobTestCase):

    def refuse(self, server, times, code=429, retry_after=0.01):
        self.backend.script[server] = [
            base.Outcome(server, code, 'slow down', retry_after=retry_after)
            for _ in range(times)]

    def test_a_rate_refusal_is_sent_again_after_retry_after(self):
        self.refuse('on0', 2)
        job = self.run_job(self.new_job(['on0', 'on1']))
        self.assertEqual('SUCCESS', job['status'])
        self.assertEqual({'on0': 3, 'on1': 1}, dict(self.backend.sent))
        row = self.rows(job['id'])['on0']
        self.assertEqual(('accepted', 3), (row['state'], row['attempts']))

    def test_resends_are_bounded(self):
        self.flags(group='jobs', max_resends=1)
        self.refuse('on0', 5)
        job = self.run_job(self.new_job(['on0']))
        self.assertEqual(2, self.backend.sent['on0'])
        row = self.rows(job['id'])['on0']
        self.assertEqual(('failed', 429), (row['state'], row['code']))
        self.assertIn('not sent again after 1 resends', row['msg'])

    def test_no_resend_when_max_resends_is_zero(self):
        self.flags(group='jobs', max_resends=0)
        self.refuse('on0', 1)
        job = self.run_job(self.new_job(['on0']))
        self.assertEqual(1, self.backend.sent['on0'])
        self.assertEqual('FAIL', job['status'])

    def test_503_is_resent_only_with_a_retry_after(self):
        self.refuse('on0', 1, code=503, retry_after=0.01)
        self.refuse('on1', 1, code=503, retry_after=None)
        job = self.run_job(self.new_job(['on0', 'on1']))
        self.assertEqual({'on0': ('accepted', 202), 'on1': ('failed', 503)},
                         self.outcomes(job['id']))
        self.assertEqual({'on0': 2, 'on1': 1}, dict(self.backend.sent))

    def test_a_failed_reboot_is_never_resent(self):
        self.backend.script['on0'] = [base.Outcome('on0', 502, 'boom')]
        self.refuse('on1', 1)
        job = self.run_job(self.new_job(['on0', 'on1'], action='reboot',
                                        reboot_type='HARD'))
        self.assertEqual({'on0': 1, 'on1': 2}, dict(self.backend.sent))
        self.assertEqual({'on0': ('failed', 502), 'on1': ('accepted', 202)},
                         self.outcomes(job['id']))

    def test_retry_after_is_capped(self):
        self.refuse('on0', 1, retry_after=3600)
        job = self.claim(self.new_job(['on0']))
        waits = []
        cancel = threading.Event()
        cancel.wait = lambda seconds: waits.append(seconds) or cancel.set()
        self.assertFalse(self.runner(job, cancel=cancel).run())
        self.assertEqual(1, len(waits))
        self.assertLessEqual(waits[0], 1.0)
        row = self.rows(job['id'])['on0']
        self.assertEqual('pending', row['state'])
        self.assertLessEqual(row['not_before'], timeutils.utcnow() +
                             datetime.timedelta(seconds=1))


class StopTest(jobs_base.JobTestCase):

    def test_cancelled_servers_are_never_sent(self):
        job = self.new_job(['on0', 'on1'])
        self.assertEqual(2, db.request_cancel(job['id']))
        job = self.run_job(job)
        self.assertEqual([], self.backend.calls)
        self.assertEqual('CANCELLED', job['status'])

    def test_cancel_mid_job_stops_what_is_not_sent(self):
        self.flags(group='jobs', chunk_size=1)
        job = self.new_job(['on0', 'on1', 'on2'])
        self.backend.before_send = lambda target: db.request_cancel(job['id'])
        job = self.run_job(job)
        self.assertEqual([('on0',)], self.backend.calls)
        self.assertEqual({'on0': ('accepted', 202), 'on1': ('cancelled', None),
                          'on2': ('cancelled', None)},
                         self.outcomes(job['id']))
        self.assertEqual('CANCELLED', job['status'])

    def test_pending_servers_fail_at_the_deadline(self):
        job = self.new_job(['on0', 'on1'], deadline=self.later(-1))
        job = self.run_job(job)
        self.assertEqual([], self.backend.calls)
        self.assertEqual({'on0': ('failed', 504), 'on1': ('failed', 504)},
                         self.outcomes(job['id']))
        self.assertEqual(job_runner.DEADLINE_MSG,
                         self.rows(job['id'])['on0']['msg'])
        self.assertEqual('FAIL', job['status'])

    def test_a_set_cancel_event_leaves_the_job_running(self):
        job = self.claim(self.new_job(['on0']))
        cancel = threading.Event()
        cancel.set()
        self.assertFalse(self.runner(job, cancel=cancel).run())
        self.assertEqual([], self.backend.calls)
        self.assertEqual('RUNNING', db.get_job(job['id'])['status'])
        self.assertEqual({'on0': ('pending', None)}, self.outcomes(job['id']))

    def test_a_lost_lease_stops_before_sending(self):
        job = self.claim(self.new_job(['on0', 'on1']))
        self.claim(job, 'engine-2', now=self.later(60))
        cancel = threading.Event()
        self.assertFalse(self.runner(job, cancel=cancel).run())
        self.assertTrue(cancel.is_set())
        self.assertEqual([], self.backend.calls)
        self.assertEqual('engine-2', db.get_job(job['id'])['engine_id'])


class FinalStatusTest(jobs_base.JobTestCase):

    def test_statuses(self):
        status = job_runner.final_status
        self.assertEqual('SUCCESS', status({'accepted': 2, 'skipped': 1,
                                            'succeeded': 1}, False))
        self.assertEqual('SUCCESS', status({'accepted': 2}, True))
        self.assertEqual('CANCELLED', status({'accepted': 1,
                                              'cancelled': 1}, True))
        self.assertEqual('CANCELLED', status({'cancelled': 3}, True))
        self.assertEqual('PARTIAL', status({'accepted': 1, 'failed': 1},
                                           True))
        self.assertEqual('FAIL', status({'failed': 2}, False))
