"""The engine: claims with leases, slots, scans, renewals, graceful stop."""

import os
import socket
import threading
import time
from unittest import mock

import fixtures
from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_utils import timeutils

from tests.unit.jobs import base as jobs_base
from vmact.db import api as db
from vmact.db import models
from vmact.jobs import engine as job_engine


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


class EngineTestCase(jobs_base.JobTestCase):
    """Runner threads need their own connections: a sqlite file."""

    def setUp(self):
        super().setUp()
        path = self.useFixture(fixtures.TempDir()).join('jobs.sqlite')
        self.engine = db.reset_for_tests('sqlite:///' + path)
        models.BASE.metadata.create_all(self.engine)
        self.addCleanup(self.engine.dispose)
        self.flags(group='jobs', rate=0, scan_interval=1,
                   lease_renew_interval=1)
        self.gate = threading.Event()
        self.sending = threading.Event()

    def make_engine(self, engine_id=jobs_base.ENGINE, agents=None):
        engine = job_engine.Engine(
            self.conf, agents or {jobs_base.AGENT: self.backend}, engine_id)
        self.addCleanup(engine.stop, timeout=5)
        self.addCleanup(self.gate.set)
        return engine

    def hold_sends(self):
        """Each send waits for ``self.gate``; ``self.sending`` says one is."""
        def hold(target):
            self.sending.set()
            self.assertTrue(self.gate.wait(10))
        self.backend.before_send = hold

    def finished(self, job_id):
        return db.get_job(job_id)['status'] not in ('INIT', 'RUNNING')


class ClaimTest(EngineTestCase):

    def test_run_job_claims_and_runs_it(self):
        job = self.new_job(['on0', 'on1'])
        engine = self.make_engine()
        self.assertTrue(engine.run_job(job['id']))
        self.assertTrue(wait_for(lambda: self.finished(job['id'])))
        self.assertEqual('SUCCESS', db.get_job(job['id'])['status'])
        self.assertTrue(wait_for(lambda: engine.running() == []))

    def test_no_free_slot_leaves_the_job_to_the_scan(self):
        self.flags(group='jobs', max_running_jobs=1)
        self.hold_sends()
        first, second = self.new_job(['on0']), self.new_job(['on1'])
        engine = self.make_engine()
        self.assertTrue(engine.run_job(first['id']))
        self.assertTrue(self.sending.wait(10))
        self.assertFalse(engine.run_job(second['id']))
        self.assertEqual('INIT', db.get_job(second['id'])['status'])
        self.gate.set()
        self.assertTrue(wait_for(lambda: self.finished(first['id'])))
        self.assertEqual(1, engine.scan())
        self.assertTrue(wait_for(lambda: self.finished(second['id'])))

    def test_a_job_is_claimed_by_one_engine_only(self):
        self.hold_sends()
        job = self.new_job(['on0'])
        one, two = self.make_engine('one'), self.make_engine('two')
        self.assertTrue(one.run_job(job['id']))
        self.assertFalse(two.run_job(job['id']))
        self.assertEqual(0, two.scan())
        self.gate.set()
        self.assertTrue(wait_for(lambda: self.finished(job['id'])))
        self.assertEqual(1, self.backend.sent['on0'])

    def test_two_engines_share_the_scan(self):
        self.flags(group='jobs', max_running_jobs=2)
        self.hold_sends()
        jobs = [self.new_job(['on%d' % n]) for n in range(4)]
        one, two = self.make_engine('one'), self.make_engine('two')
        self.assertEqual(2, one.scan())
        self.assertEqual(2, two.scan())
        self.assertEqual(0, one.scan())
        self.assertEqual(4, len(set(one.running()) | set(two.running())))
        self.gate.set()
        for job in jobs:
            self.assertTrue(wait_for(lambda: self.finished(job['id'])))
        self.assertEqual(dict.fromkeys(['on0', 'on1', 'on2', 'on3'], 1),
                         dict(self.backend.sent))

    def test_an_expired_lease_is_taken_over(self):
        job = self.new_job(['on0'])
        self.claim(job, 'dead', now=timeutils.utcnow().replace(year=2000))
        engine = self.make_engine()
        self.assertEqual(1, engine.scan())
        self.assertTrue(wait_for(lambda: self.finished(job['id'])))

    def test_an_agent_this_engine_lacks_releases_the_job(self):
        job = self.new_job(['on0'])
        engine = self.make_engine(agents={'other': self.backend})
        self.assertFalse(engine.run_job(job['id']))
        self.assertIsNone(db.get_job(job['id'])['engine_id'])
        self.assertEqual([], engine.running())

    def test_a_failing_runner_releases_its_job(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='vmact.jobs.engine'))
        job = self.new_job(['on0'])
        engine = self.make_engine()
        with mock.patch('vmact.jobs.runner.JobRunner.run',
                        side_effect=RuntimeError('bug')):
            self.assertTrue(engine.run_job(job['id']))
            self.assertTrue(wait_for(lambda: engine.running() == []))
        row = db.get_job(job['id'])
        self.assertEqual(('RUNNING', None), (row['status'], row['engine_id']))
        self.assertIn('its runner failed; released', logger.output)

    def test_start_scans_at_once(self):
        job = self.new_job(['on0'])
        self.make_engine().start()
        self.assertTrue(wait_for(lambda: self.finished(job['id'])))


class LeaseTest(EngineTestCase):

    def test_a_lost_lease_stops_the_runner_before_its_next_chunk(self):
        self.flags(group='jobs', chunk_size=1)
        self.hold_sends()
        job = self.new_job(['on0', 'on1'])
        engine = self.make_engine()
        engine.run_job(job['id'])
        self.assertTrue(self.sending.wait(10))
        self.claim(job, 'thief', now=timeutils.utcnow().replace(year=2100))
        engine.renew()
        self.gate.set()
        self.assertTrue(wait_for(lambda: engine.running() == []))
        self.assertEqual([('on0',)], self.backend.calls)
        self.assertEqual('thief', db.get_job(job['id'])['engine_id'])

    def test_renew_extends_the_lease(self):
        self.hold_sends()
        job = self.new_job(['on0'])
        engine = self.make_engine()
        engine.run_job(job['id'])
        self.assertTrue(self.sending.wait(10))
        before = db.get_job(job['id'])['lease_expires_at']
        time.sleep(0.01)
        engine.renew()
        self.assertGreater(db.get_job(job['id'])['lease_expires_at'], before)


class StopTest(EngineTestCase):

    def test_graceful_stop_finishes_the_chunk_and_releases(self):
        self.flags(group='jobs', chunk_size=1)
        self.hold_sends()
        job = self.new_job(['on0', 'on1'])
        engine = self.make_engine()
        engine.run_job(job['id'])
        self.assertTrue(self.sending.wait(10))
        threading.Timer(0.1, self.gate.set).start()
        self.assertEqual([], engine.stop(timeout=10))
        row = db.get_job(job['id'])
        self.assertEqual(('RUNNING', None), (row['status'], row['engine_id']))
        self.assertEqual({'on0': ('accepted', 202), 'on1': ('pending', None)},
                         self.outcomes(job['id']))
        self.assertFalse(engine.run_job(job['id']))

    def test_a_runner_stuck_past_the_bound_keeps_its_lease(self):
        self.hold_sends()
        job = self.new_job(['on0'])
        engine = self.make_engine()
        engine.run_job(job['id'])
        self.assertTrue(self.sending.wait(10))
        self.assertEqual([job['id']], engine.stop(timeout=0.1))
        self.assertEqual(jobs_base.ENGINE,
                         db.get_job(job['id'])['engine_id'])
        self.gate.set()
        self.assertTrue(wait_for(lambda: engine.running() == []))


class LocalEngineTest(EngineTestCase):

    def test_one_started_engine_per_process(self):
        self.addCleanup(job_engine.reset_local_engine)
        job = self.new_job(['on0'])
        agents = {jobs_base.AGENT: self.backend}
        engine = job_engine.local_engine(self.conf, agents)
        self.assertIs(engine, job_engine.local_engine(self.conf))
        self.assertIs(agents, engine.agents)
        self.assertTrue(wait_for(lambda: self.finished(job['id'])))
        job_engine.reset_local_engine()
        self.assertIsNot(engine, job_engine.local_engine(self.conf, agents))


class EngineIdTest(EngineTestCase):

    def test_an_id_per_process_and_start_named_after_the_host(self):
        first = job_engine.make_engine_id(self.conf)
        self.assertTrue(first.startswith(
            '%s:%d:' % (socket.gethostname(), os.getpid())))
        self.assertNotEqual(first, job_engine.make_engine_id(self.conf))
        self.conf_fixture.register_opt(cfg.StrOpt('host'))
        self.flags(host='engine-a')
        self.assertTrue(job_engine.make_engine_id(self.conf).startswith(
            'engine-a:%d:' % os.getpid()))


class DatabaseDownTest(EngineTestCase):

    def test_a_database_error_claims_nothing(self):
        engine = self.make_engine()
        error = db_exc.DBConnectionError('gone')
        with mock.patch.object(db, 'claim_job', side_effect=error):
            self.assertFalse(engine.run_job('job-1'))
        with mock.patch.object(db, 'claimable_jobs', side_effect=error):
            self.assertRaises(db_exc.DBConnectionError, engine.scan)
        self.assertEqual([], engine.running())
