"""Jobs when PostgreSQL or RabbitMQ is down.

* PostgreSQL stopped, then frozen by SIGSTOP (every process of the
  cluster): job creation is a 503 in the error format within the
  documented bound (about 2 x ``[database] query_timeout``: the pool's
  ping, then one new connection); a synchronous action without
  ``Idempotency-Key`` never touches the database and still acts.
* RabbitMQ stopped: the 202 is given (the job is in the database) and
  the engines' database scan runs it within ``scan_interval`` plus a
  margin; once RabbitMQ is back, the engines consume again.

Each figure (seconds) is printed as a JSON line.
"""

import time

from tests.functional import base
from tests.functional.fixtures import cloud
from tests.hardening import figures

#: ``[database] query_timeout``'s default.
QUERY_TIMEOUT = 5.0
#: A frozen database: the pool's ping, then one new connection, each
#: bounded by query_timeout (connect_timeout in the URL is 5 s too);
#: plus the load of a shared 2-core machine.
FROZEN_BOUND = 2 * QUERY_TIMEOUT + 5
#: A stopped database refuses connections at once.
STOPPED_BOUND = QUERY_TIMEOUT
ENGINE_TOPIC = 'vmact-engine'
SCAN_INTERVAL = 2
#: Seconds past scan_interval a job may take to be found and run.
SCAN_MARGIN = 15


class JobsOutageTestBase(base.JobsTestCase):

    TIMEOUT = 420

    def servers(self, count):
        """tenant-a's first servers in RegionOne, ACTIVE now and after."""
        servers = self.active_servers(count=count)
        self.addCleanup(self.cloud.ensure_status, cloud.REGION_ONE, servers,
                        'ACTIVE')
        return servers

    def stop_counts(self, servers):
        return self.action_count(servers, 'stop', cloud.REGION_ONE)

    def timed_act(self, body):
        started = time.monotonic()
        response = self.act(body)
        return response, time.monotonic() - started


class DatabaseDownTest(JobsOutageTestBase):

    def assertJobRefused(self, servers, bound, state):
        body = dict(self.body('os-stop', servers), **{'async': True})
        response, seconds = self.timed_act(body)
        self.assertError(503, response, 'jobs database')
        figures.record('jobs_database_down_503', state=state,
                       seconds=round(seconds, 2), bound=bound)
        self.assertLess(seconds, bound)

    def check_outage(self, down, bound, state):
        """Job creation refused, a sync action served, while ``down``."""
        servers = self.servers(2)
        before = self.stop_counts(servers)
        # keystonemiddleware caches the token now: a 503 below is the
        # database's, not a slow Keystone's. Nova's own keystonemiddleware
        # may still hold a connection to a Keystone an earlier test
        # restarted (one 503): the cloud must be healthy first.
        deadline = time.monotonic() + 30
        while self.show_states(servers).status_code != 200:
            self.assertLess(time.monotonic(), deadline,
                            'the cloud did not answer 200 before the outage')
            time.sleep(0.5)
        down()
        self.assertJobRefused(servers, bound, state)
        self.assertAccepted(self.act(self.body('os-stop', servers)))
        self.postgres.ensure_running()
        for server in servers:
            self.cloud.wait_for_status(cloud.REGION_ONE, server, 'SHUTOFF')
        self.assertEqual(dict.fromkeys(servers, 1), {
            server: count - before[server] for server, count in
            self.stop_counts(servers).items()})
        self.assertEqual([(0,)], self.sql(
            "SELECT count(*) FROM jobs WHERE status IN ('INIT', 'RUNNING')"))

    def test_stopped_database_job_503_sync_action_served(self):
        self.check_outage(self.postgres.stop, STOPPED_BOUND, 'stopped')

    def test_frozen_database_job_503_sync_action_served(self):
        self.addCleanup(self.postgres.thaw)
        self.check_outage(self.postgres.freeze, FROZEN_BOUND, 'frozen')


class RabbitMQDownTest(JobsOutageTestBase):

    def test_job_given_202_and_run_by_the_database_scan(self):
        servers = self.servers(2)
        group = self.start_engines(2, scan_interval=SCAN_INTERVAL)
        self.assertEqual(2, group.wait_consumers(self.rabbitmq, ENGINE_TOPIC))
        before = self.stop_counts(servers)
        self.rabbitmq.stop()
        response, answered = self.timed_act(dict(
            self.body('os-stop', servers), **{'async': True}))
        self.assertEqual(202, response.status_code, response.text)
        started = time.monotonic()
        job = self.wait_job(response.json()['job_id'],
                            timeout=SCAN_INTERVAL + SCAN_MARGIN)
        ran = time.monotonic() - started
        self.assertEqual('SUCCESS', job['status'], job)
        for server in servers:
            self.cloud.wait_for_status(cloud.REGION_ONE, server, 'SHUTOFF')
        self.assertEqual(dict.fromkeys(servers, 1), {
            server: count - before[server] for server, count in
            self.stop_counts(servers).items()})
        self.rabbitmq.start()
        self.assertEqual(2, group.wait_consumers(self.rabbitmq, ENGINE_TOPIC,
                                                 timeout=90))
        figures.record('jobs_rabbitmq_down', answer_seconds=round(
            answered, 2), job_done_seconds=round(ran, 2),
            scan_interval=SCAN_INTERVAL)
