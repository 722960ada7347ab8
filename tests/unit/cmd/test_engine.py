"""vmact-engine: the service object, and the console script's signals."""

import datetime
import os
import signal
import subprocess
import sys
import threading

import fixtures
from oslo_utils import timeutils

from tests.unit import base as unit_base
from tests.unit.jobs import base as jobs_base
from tests.unit.jobs import test_engine
from vmact.cmd import engine as engine_cmd
from vmact.db import api as db
from vmact.db import models
from vmact.jobs import rpc


class EngineServiceTest(test_engine.EngineTestCase):

    def setUp(self):
        super().setUp()
        self.flags(group='database', connection=str(self.engine.url))
        rpc.register_opts(self.conf)
        self.addCleanup(rpc.reset)

    def service(self):
        service = engine_cmd.EngineService(self.conf,
                                           {jobs_base.AGENT: self.backend})
        self.addCleanup(service.stop)
        return service

    def test_start_runs_jobs_and_stop_ends_wait(self):
        job = self.new_job(['on0', 'on1'])
        service = self.service()
        service.start()
        self.assertIsNone(service.server)
        self.assertTrue(test_engine.wait_for(
            lambda: self.finished(job['id'])))
        waiter = threading.Thread(target=service.wait)
        waiter.start()
        service.stop()
        waiter.join(10)
        self.assertFalse(waiter.is_alive())

    def test_with_a_transport_it_listens_for_casts(self):
        self.flags(group='jobs', scan_interval=60)
        self.flags(transport_url='fake:/')
        service = self.service()
        service.start()
        self.assertIsNotNone(service.server)
        job = self.new_job(['on0'])
        rpc.submitted(self.conf, job['id']).join(10)
        self.assertTrue(test_engine.wait_for(
            lambda: self.finished(job['id'])))
        service.stop()

    def test_stop_releases_the_jobs_not_finished(self):
        self.flags(group='jobs', chunk_size=1)
        self.hold_sends()
        job = self.new_job(['on0', 'on1'])
        service = self.service()
        service.start()
        self.assertTrue(self.sending.wait(10))
        threading.Timer(0.1, self.gate.set).start()
        service.stop()
        row = db.get_job(job['id'])
        self.assertEqual(('RUNNING', None), (row['status'], row['engine_id']))
        self.assertEqual(1, sum(self.backend.sent.values()))


class ConsoleScriptTest(unit_base.TestCase):
    """``python -m vmact.cmd.engine`` with the development config."""

    def start(self, *extra):
        tmp = self.useFixture(fixtures.TempDir()).path
        engine = db.reset_for_tests('sqlite:///%s/vmact.sqlite' % tmp)
        models.BASE.metadata.create_all(engine)
        self.addCleanup(engine.dispose)
        override = os.path.join(tmp, 'override.conf')
        with open(override, 'w') as f:
            f.write('[DEFAULT]\nstate_path = %s\n[jobs]\nscan_interval = 1\n'
                    '%s' % (tmp, ''.join(extra)))
        proc = subprocess.Popen(
            [sys.executable, '-m', 'vmact.cmd.engine', '--config-file',
             unit_base.DEV_CONF, '--config-file', override],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(unit_base.reap, proc)
        return proc

    def test_runs_a_job_and_stops_on_sigterm(self):
        proc = self.start()
        job = db.create_job({
            'tenant_id': 'demo', 'region': 'RegionOne', 'agent': 'scloudm',
            'action': 'os-stop', 'user_id': 'demo', 'deadline':
            timeutils.utcnow() + datetime.timedelta(hours=1)},
            ['k432k234', 'a342fsd'])
        self.assertTrue(test_engine.wait_for(
            lambda: db.get_job(job['id'])['status'] == 'SUCCESS', 30))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(0, proc.wait(timeout=30))
        output = proc.stdout.read().decode()
        self.assertIn('Job %s finished: SUCCESS' % job['id'], output)
        self.assertIn('stopped', output)

    def test_sigterm_mid_job_releases_its_lease_at_once(self):
        proc = self.start('rate = 0.2\nburst = 1\nchunk_size = 1\n')
        job = db.create_job({
            'tenant_id': 'demo', 'region': 'RegionOne', 'agent': 'scloudm',
            'action': 'os-stop', 'deadline':
            timeutils.utcnow() + datetime.timedelta(hours=1)},
            ['k432k234', 'a342fsd', 'demo-RegionOne-1'])
        self.assertTrue(test_engine.wait_for(
            lambda: db.job_counts(job['id']).get('accepted'), 30))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(0, proc.wait(timeout=30))
        row = db.get_job(job['id'])
        self.assertEqual(('RUNNING', None, None),
                         (row['status'], row['engine_id'],
                          row['lease_expires_at']))
        self.assertEqual({'accepted': 1, 'pending': 2},
                         db.job_counts(job['id']))

    def test_configuration_error_exits_with_a_message(self):
        proc = self.start('[api]\nenabled_agents = scloudm,ghost\n')
        output = proc.stdout.read().decode()
        self.assertEqual(2, proc.wait(timeout=30))
        self.assertIn('vmact-engine: configuration error: [ghost] backend '
                      'is required', output)
