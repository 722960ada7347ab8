"""API to engines: casts over oslo.messaging's fake transport, or local."""

import threading
from unittest import mock

import fixtures

from tests.unit.jobs import test_engine
from vmact.db import api as db
from vmact.jobs import engine as job_engine
from vmact.jobs import rpc


class RecordingEngine(object):
    engine_id = 'recording'

    def __init__(self):
        self.asked = []
        self.called = threading.Event()

    def run_job(self, job_id):
        self.asked.append(job_id)
        self.called.set()
        return True


class RpcTestCase(test_engine.EngineTestCase):

    def setUp(self):
        super().setUp()
        rpc.register_opts(self.conf)
        self.addCleanup(rpc.reset)
        self.logger = self.useFixture(fixtures.FakeLogger(
            name='vmact.jobs.rpc'))

    def serve(self, engine):
        server = rpc.get_server(self.conf, engine)
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        return server


class TransportUrlTest(RpcTestCase):

    def test_no_transport_url_by_default(self):
        self.assertIsNone(rpc.transport_url(self.conf))
        self.assertEqual('vmact', self.conf.control_exchange)

    def test_a_set_transport_url(self):
        self.flags(transport_url='fake:/')
        self.assertEqual('fake:/', rpc.transport_url(self.conf))


class LocalTest(RpcTestCase):

    def test_without_transport_the_local_engine_claims_it(self):
        local = self.useFixture(fixtures.MockPatch(
            'vmact.jobs.engine.local_engine')).mock
        agents = {'sim': self.backend}
        self.assertIsNone(rpc.submitted(self.conf, 'job-1', agents))
        local.assert_called_once_with(self.conf, agents)
        local.return_value.run_job.assert_called_once_with('job-1')

    def test_a_local_failure_is_a_warning_only(self):
        self.useFixture(fixtures.MockPatch(
            'vmact.jobs.engine.local_engine',
            side_effect=RuntimeError('database gone')))
        self.assertIsNone(rpc.submitted(self.conf, 'job-1'))
        self.assertIn('Job job-1: not handed to an engine now',
                      self.logger.output)

    def test_the_local_engine_runs_a_submitted_job(self):
        self.addCleanup(job_engine.reset_local_engine)
        job = self.new_job(['on0'])
        rpc.submitted(self.conf, job['id'], {'sim': self.backend})
        self.assertTrue(test_engine.wait_for(
            lambda: self.finished(job['id'])))


class CastTest(RpcTestCase):

    def setUp(self):
        super().setUp()
        self.flags(transport_url='fake:/')

    def test_the_cast_reaches_an_engine_with_the_job_id_only(self):
        engine = RecordingEngine()
        self.serve(engine)
        thread = rpc.submitted(self.conf, 'job-1')
        thread.join(10)
        self.assertFalse(thread.is_alive())
        self.assertTrue(engine.called.wait(10))
        self.assertEqual(['job-1'], engine.asked)

    def test_an_engine_behind_the_transport_runs_the_job(self):
        engine = self.make_engine()
        self.serve(engine)
        job = self.new_job(['on0', 'on1'])
        rpc.submitted(self.conf, job['id']).join(10)
        self.assertTrue(test_engine.wait_for(
            lambda: self.finished(job['id'])))
        self.assertEqual('SUCCESS', db.get_job(job['id'])['status'])

    def test_a_failed_cast_is_one_warning(self):
        self.useFixture(fixtures.MockPatch(
            'oslo_messaging.get_rpc_client',
            side_effect=ConnectionRefusedError('broker down')))
        thread = rpc.submitted(self.conf, 'job-1')
        thread.join(10)
        self.assertFalse(thread.is_alive())
        self.assertIn('Job job-1: the cast to the engines failed '
                      '(ConnectionRefusedError: broker down); an engine '
                      'scan will find it', self.logger.output)

    def test_the_cast_is_bounded_and_not_retried(self):
        client = self.useFixture(fixtures.MockPatch(
            'oslo_messaging.get_rpc_client')).mock
        self.flags(group='jobs', cast_timeout=2.5)
        rpc.submitted(self.conf, 'job-1').join(10)
        client.return_value.prepare.assert_called_once_with(timeout=2.5,
                                                            retry=0)
        client.return_value.prepare.return_value.cast.assert_called_once_with(
            {}, 'run_job', job_id='job-1')

    def test_too_many_casts_in_flight_are_dropped(self):
        with mock.patch.object(rpc, '_casts', threading.BoundedSemaphore(1)):
            rpc._casts.acquire()
            self.assertIsNone(rpc.submitted(self.conf, 'job-1'))
        self.assertIn('casts already in flight', self.logger.output)
