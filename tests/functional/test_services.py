"""The jobs' real services: PostgreSQL, RabbitMQ, the cloud's additions.

Each test leaves its service serving (a cleanup restarts or thaws it),
so the jobs tests that follow find it as the first one started it.
"""

import datetime
import signal
import time
import uuid

import fixtures
import kombu.exceptions
from oslo_config import cfg
import oslo_messaging
from oslo_messaging import conffixture
import psycopg2
import sqlalchemy
from sqlalchemy import exc as sqla_exc
import testtools
from testtools import content

from tests.functional import base
from tests.functional.fixtures import cloud
from tests.functional.fixtures import engines
from tests.functional.fixtures import postgres as postgres_fixture
from tests.functional.fixtures import rabbitmq as rabbitmq_fixture
from tests.functional.fixtures import server_pool
from tests.functional.fixtures import vmact_service

#: Seconds a client waits for the frozen or stopped service here.
CLIENT_TIMEOUT = 2
#: The engines' topic queue (``[jobs] topic``'s default).
ENGINE_TOPIC = 'vmact-engine'


class ServiceTestCase(testtools.TestCase):
    TIMEOUT = 120

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(self.TIMEOUT, gentle=True))


class PostgresTest(ServiceTestCase):

    def setUp(self):
        super().setUp()
        self.postgres = postgres_fixture.get_postgres()
        self.addCleanup(self.postgres.ensure_running)

    def engine(self, url=None):
        engine = sqlalchemy.create_engine(url or self.postgres.url,
                                          poolclass=sqlalchemy.pool.NullPool)
        self.addCleanup(engine.dispose)
        return engine

    def scalar(self, sql, url=None):
        with self.engine(url).connect() as connection:
            return connection.execute(sqlalchemy.text(sql)).scalar()

    def test_url_connects_as_vmact_with_its_password(self):
        self.assertTrue(self.postgres.url.startswith('postgresql+psycopg2://'))
        self.assertIn('connect_timeout=', self.postgres.url)
        self.assertEqual('vmact', self.scalar('SELECT current_user'))
        self.assertEqual('vmact', self.scalar('SELECT current_database()'))
        self.assertEqual('127.0.0.1', self.scalar('SHOW listen_addresses'))

    def test_wrong_password_is_refused(self):
        url = self.postgres.url.replace(postgres_fixture.PASSWORD, 'wrong')
        error = self.assertRaises(sqla_exc.OperationalError, self.scalar,
                                  'SELECT 1', url)
        self.assertIn('password authentication failed', str(error))

    def test_a_new_database_is_the_vmact_roles(self):
        name = 'test_%s' % uuid.uuid4().hex
        url = self.postgres.create_database(name)
        self.addCleanup(self.postgres.drop_database, name)
        with self.engine(url).begin() as connection:
            connection.execute(sqlalchemy.text(
                'CREATE TABLE t (id int PRIMARY KEY)'))
            connection.execute(sqlalchemy.text('INSERT INTO t VALUES (7)'))
        self.assertEqual(7, self.scalar('SELECT id FROM t', url))

    def test_stop_refuses_connections_and_start_keeps_the_data(self):
        name = 'test_%s' % uuid.uuid4().hex
        url = self.postgres.create_database(name)
        self.addCleanup(self.postgres.drop_database, name)
        with self.engine(url).begin() as connection:
            connection.execute(sqlalchemy.text('CREATE TABLE kept (v text)'))
            connection.execute(sqlalchemy.text(
                "INSERT INTO kept VALUES ('before stop')"))
        self.postgres.stop()
        self.assertFalse(self.postgres.is_running())
        started = time.monotonic()
        self.assertRaises(sqla_exc.OperationalError, self.scalar,
                          'SELECT 1', url)
        self.assertLess(time.monotonic() - started, CLIENT_TIMEOUT)
        self.postgres.start()
        self.assertEqual('before stop', self.scalar('SELECT v FROM kept',
                                                    url))

    def test_frozen_server_times_clients_out_until_thawed(self):
        self.postgres.freeze()
        self.addCleanup(self.postgres.thaw)
        started = time.monotonic()
        self.assertRaises(
            psycopg2.OperationalError, psycopg2.connect,
            host='127.0.0.1', port=self.postgres.port,
            user=postgres_fixture.ROLE, password=postgres_fixture.PASSWORD,
            dbname=postgres_fixture.DATABASE,
            connect_timeout=CLIENT_TIMEOUT)
        waited = time.monotonic() - started
        self.assertGreaterEqual(waited, CLIENT_TIMEOUT - 0.1)
        self.assertLess(waited, CLIENT_TIMEOUT + 3)
        self.postgres.thaw()
        self.assertEqual(1, self.scalar('SELECT 1'))


class Doubler(object):
    """An RPC endpoint: answers calls, records casts."""

    def __init__(self):
        self.cast_values = []

    def double(self, context, value):
        return {'value': value * 2, 'request_id': context.get('request_id')}

    def remember(self, context, value):
        self.cast_values.append(value)


class RabbitMQTest(ServiceTestCase):

    def setUp(self):
        super().setUp()
        self.rabbitmq = rabbitmq_fixture.get_rabbitmq()
        self.addCleanup(self.rabbitmq.ensure_running)
        self.conf = cfg.ConfigOpts()
        self.useFixture(conffixture.ConfFixture(self.conf))
        self.conf([], project='vmact-functional')
        self.topic = 'test-%s' % uuid.uuid4().hex

    def transport(self):
        transport = oslo_messaging.get_rpc_transport(
            self.conf, url=self.rabbitmq.transport_url)
        self.addCleanup(transport.cleanup)
        return transport

    def serve(self, transport):
        endpoint = Doubler()
        server = oslo_messaging.get_rpc_server(
            transport, oslo_messaging.Target(topic=self.topic,
                                             server='test-server'),
            [endpoint])
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        return endpoint

    def client(self, transport, timeout=10, retry=None):
        return oslo_messaging.get_rpc_client(
            transport, oslo_messaging.Target(topic=self.topic),
            timeout=timeout, retry=retry)

    def test_rpc_call_round_trips(self):
        transport = self.transport()
        self.serve(transport)
        result = self.client(transport).call(
            {'request_id': 'req-test'}, 'double', value=21)
        self.assertEqual({'value': 42, 'request_id': 'req-test'}, result)
        self.assertEqual(1, self.rabbitmq.consumer_count(self.topic))

    def test_cast_is_delivered(self):
        transport = self.transport()
        endpoint = self.serve(transport)
        self.client(transport).cast({}, 'remember', value='job-1')
        deadline = time.monotonic() + 10
        while not endpoint.cast_values and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(['job-1'], endpoint.cast_values)

    def test_stopped_broker_refuses_and_a_start_serves_again(self):
        self.rabbitmq.stop()
        self.assertFalse(self.rabbitmq.is_running())
        self.assertRaises(rabbitmq_fixture.PROBE_ERRORS, self.rabbitmq.probe)
        self.rabbitmq.start()
        transport = self.transport()
        self.serve(transport)
        self.assertEqual(8, self.client(transport).call(
            {}, 'double', value=4)['value'])

    def test_frozen_broker_times_bounded_calls_out_until_thawed(self):
        """Only a client with a ``retry`` bound gives up on a frozen broker.

        Without one, oslo.messaging reconnects and publishes forever,
        whatever the call's ``timeout``.
        """
        transport = self.transport()
        self.serve(transport)
        client = self.client(transport, timeout=CLIENT_TIMEOUT, retry=0)
        self.assertEqual(2, client.call({}, 'double', value=1)['value'])
        self.rabbitmq.freeze()
        self.addCleanup(self.rabbitmq.thaw)
        started = time.monotonic()
        # Which error depends on where the freeze catches the client: a
        # reply not coming, a publish refused, or a reconnect timing out.
        self.assertRaises((oslo_messaging.MessagingTimeout,
                           oslo_messaging.MessageDeliveryFailure,
                           kombu.exceptions.OperationalError),
                          client.call, {}, 'double', value=2)
        self.assertLess(time.monotonic() - started, CLIENT_TIMEOUT + 5)
        self.rabbitmq.thaw()
        self.assertEqual(6, self.client(transport).call(
            {}, 'double', value=3)['value'])


class CloudForJobsTest(base.FunctionalTestCase):
    """What the cloud adds for the jobs: batches, short tokens."""

    TIMEOUT = 420

    def test_a_batch_of_50_servers_is_created_once_and_shared(self):
        servers = server_pool.servers(self.cloud, 50)
        self.assertEqual(50, len(set(servers)))
        self.assertEqual(servers, server_pool.servers(self.cloud, 50))
        self.addDetail('seconds', content.text_content(
            repr(server_pool.TIMINGS)))
        nova = self.cloud.nova(cloud.ALICE, cloud.REGION_TWO)
        listed = {server.id: server for server in nova.servers.list(
            search_opts={'name': '^pool-'})}
        self.assertEqual(set(servers), set(listed))
        self.assertEqual({('ACTIVE', self.tenant_project())}, {
            (server.status, server.tenant_id) for server in listed.values()})
        self.assertFalse(set(servers) & {
            server.id for server in self.cloud.nova(
                cloud.ALICE, cloud.REGION_ONE).servers.list()})

    def tenant_project(self):
        return self.cloud.project_ids[cloud.TENANT_A]

    def token_lifetime(self, token):
        body = self.cloud.identity(cloud.ADMIN).get(
            '/auth/tokens', headers={'X-Subject-Token': token}).json()
        issued, expires = (
            datetime.datetime.strptime(body['token'][key],
                                       '%Y-%m-%dT%H:%M:%S.%fZ')
            for key in ('issued_at', 'expires_at'))
        return (expires - issued).total_seconds()

    def test_token_expiration_is_set_and_restored(self):
        self.addCleanup(self.cloud.set_token_expiration, None)
        self.cloud.set_token_expiration(20)
        token = self.cloud.token(cloud.ALICE, fresh=True)
        self.assertAlmostEqual(20, self.token_lifetime(token), delta=1)
        self.cloud.set_token_expiration(None)
        self.assertAlmostEqual(3600, self.token_lifetime(
            self.cloud.token(cloud.ALICE, fresh=True)), delta=1)


@testtools.skipUnless(engines.installed(),
                      'no vmact-engine console script in this environment')
class EnginesTest(base.FunctionalTestCase):
    """vmact-engine processes on PostgreSQL and RabbitMQ."""

    def test_engines_consume_kill_restart_and_stop(self):
        vmact = vmact_service.get_jobs_vmact()
        rabbitmq = rabbitmq_fixture.get_rabbitmq()
        group = self.useFixture(engines.EnginesFixture(
            2, vmact.config_file)).engines
        self.assertEqual(2, group.wait_consumers(rabbitmq, ENGINE_TOPIC))
        self.assertEqual(-signal.SIGKILL, group[0].kill(signal.SIGKILL))
        self.assertEqual(1, group.wait_consumers(rabbitmq, ENGINE_TOPIC))
        group[0].restart()
        self.assertEqual(2, group.wait_consumers(rabbitmq, ENGINE_TOPIC))
        self.assertIsNone(group[1].kill(signal.SIGSTOP))
        self.assertTrue(group[1].is_running())
        # A frozen engine is thawed first, then stops gracefully too.
        self.assertEqual([0, 0], group.stop())
