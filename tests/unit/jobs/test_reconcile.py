"""The exactly-once rule: a crash at each point, then a takeover.

An engine ``dead`` claims the job and marks a chunk ``sending``, then
"crashes" at one of three points: before its call, during it (the
backend received some of the servers), after it but before the record.
Engine ``engine-1`` takes the expired lease over; what the simulator says
it received decides, and nothing is ever sent twice.
"""

import datetime
from unittest import mock

from oslo_utils import timeutils
from oslo_utils import uuidutils

from tests.unit.jobs import base as jobs_base
from vmact.backends import base
from vmact.db import api as db
from vmact import exception
from vmact.jobs import runner as job_runner

STOP = base.Action(base.STOP)
SERVERS = ['on0', 'on1', 'on2', 'on3']


class CrashTest(jobs_base.JobTestCase):

    def crash_while_sending(self, received=(), sent_at=None, **job):
        """A dead engine's job: SERVERS marked sending; ``received`` acted.

        Then the lease is taken over by ENGINE; returns the claimed job.
        """
        self.flags(group='jobs', chunk_size=10)
        job = self.new_job(SERVERS, **job)
        sent_at = sent_at or timeutils.utcnow()
        self.assertIsNotNone(self.claim(job, 'dead', now=sent_at))
        marked = db.mark_sending(job['id'], 'dead', list(range(4)),
                                 uuidutils.generate_uuid(), sent_at)
        self.assertEqual(4, len(marked))
        if received:
            self.backend.send(None, base.Target(
                jobs_base.TENANT, jobs_base.REGION, tuple(received)), STOP)
        self.backend.calls.clear()
        self.backend.sent.clear()
        return self.claim(job, now=sent_at + datetime.timedelta(seconds=60))

    def run_to_end(self, job):
        self.assertTrue(self.runner(job).run())
        return db.get_job(job['id'])

    def test_crash_before_the_call_sends_every_server_once(self):
        job = self.run_to_end(self.crash_while_sending())
        self.assertEqual(dict.fromkeys(SERVERS, 1), dict(self.backend.sent))
        self.assertEqual(dict.fromkeys(SERVERS, ('accepted', 202)),
                         self.outcomes(job['id']))
        self.assertEqual('SUCCESS', job['status'])

    def test_crash_during_the_call_sends_only_what_was_not_received(self):
        job = self.run_to_end(self.crash_while_sending(['on0', 'on2']))
        self.assertEqual({'on1': 1, 'on3': 1}, dict(self.backend.sent))
        rows = self.rows(job['id'])
        for server in ('on0', 'on2'):
            self.assertEqual(('accepted', 202, job_runner.RECEIVED_MSG),
                             (rows[server]['state'], rows[server]['code'],
                              rows[server]['msg']))
        self.assertEqual(dict.fromkeys(SERVERS, 'accepted'),
                         {s: r['state'] for s, r in rows.items()})
        self.assertEqual('SUCCESS', job['status'])

    def test_crash_after_the_call_before_the_record_sends_nothing(self):
        job = self.run_to_end(self.crash_while_sending(SERVERS))
        self.assertEqual([], self.backend.calls)
        self.assertEqual(dict.fromkeys(SERVERS, ('accepted', 202)),
                         self.outcomes(job['id']))

    def test_not_known_is_failed_and_never_sent(self):
        # Marked before this backend existed: its record cannot tell.
        job = self.run_to_end(self.crash_while_sending(
            sent_at=timeutils.utcnow() - datetime.timedelta(minutes=5)))
        self.assertEqual([], self.backend.calls)
        rows = self.rows(job['id'])
        for row in rows.values():
            self.assertEqual(('failed', 502), (row['state'], row['code']))
            self.assertEqual(job_runner.UNKNOWN_MSG % STOP, row['msg'])
        self.assertEqual('FAIL', job['status'])

    def test_a_backend_error_while_asking_is_not_known(self):
        job = self.crash_while_sending(['on0'])
        self.backend.received = mock.Mock(side_effect=(
            exception.BackendUnavailable('Keystone is down')))
        job = self.run_to_end(job)
        self.assertEqual([], self.backend.calls)
        self.assertEqual(dict.fromkeys(SERVERS, ('failed', 502)),
                         self.outcomes(job['id']))

    def test_the_backend_is_asked_from_sent_at_minus_the_clock_skew(self):
        self.flags(group='jobs', reconcile_clock_skew=5)
        asked = []
        self.backend.received = lambda ctx, target, action, since: (
            asked.append((target.servers, action, since)) or
            dict.fromkeys(target.servers, True))
        job = self.crash_while_sending()
        sent_at = self.rows(job['id'])['on0']['sent_at']
        self.run_to_end(job)
        self.assertEqual([(tuple(SERVERS), STOP,
                           sent_at - datetime.timedelta(seconds=5))], asked)

    def test_a_waited_job_follows_reconciled_servers(self):
        job = self.run_to_end(self.crash_while_sending(['on0'], wait=5))
        self.assertEqual(dict.fromkeys(SERVERS, ('succeeded', 200)),
                         self.outcomes(job['id']))
        self.assertEqual({'on1': 1, 'on2': 1, 'on3': 1},
                         dict(self.backend.sent))
