"""Base classes of the functional tests: the shared cloud, and vmact."""

import http.client
import json
import os
import time

import fixtures
import requests
import testtools
from testtools import content

from tests.functional.fixtures import cloud
from tests.functional.fixtures import engines
from tests.functional.fixtures import postgres
from tests.functional.fixtures import rabbitmq
from tests.functional.fixtures import vmact_service
from tests.hardening import figures
from tests.support import processes
from tests.support import vmact_config

#: A job's status once it ended.
FINAL_JOB_STATUSES = ('SUCCESS', 'PARTIAL', 'FAIL', 'CANCELLED')


class FunctionalTestCase(testtools.TestCase):
    """A test against the real Keystone and Novas of :mod:`cloud`.

    The cloud starts in the first test's ``setUp`` (about 20 s) and is
    shared by every test of the process. Tests share its servers too:
    :meth:`active_servers` hands out servers settled in ACTIVE.
    """

    #: Seconds one test may take, the cloud's start included.
    TIMEOUT = 180

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(self.TIMEOUT, gentle=True))
        self.cloud = cloud.get_cloud()

    def active_servers(self, tenant=cloud.TENANT_A, region=cloud.REGION_ONE,
                       count=1):
        """The first ``count`` servers of ``tenant`` in ``region``, ACTIVE.

        Servers a previous test left SHUTOFF are started (as the admin)
        and waited for.
        """
        servers = self.cloud.servers[(tenant, region)][:count]
        if len(servers) < count:
            raise ValueError('%s has only %d servers in %s' % (
                tenant, len(servers), region))
        self.cloud.ensure_status(region, servers, 'ACTIVE')
        return servers

    def assertServerStatus(self, status, server_id, region=cloud.REGION_ONE):
        """Assert that Nova shows ``server_id`` with ``status``."""
        server = self.cloud.show_server(region, server_id)
        self.assertEqual(status, server['status'],
                         'server %s: %s' % (server_id, server))


class VmactTestCase(FunctionalTestCase):
    """A test that drives vmact over HTTP and checks the result in Nova."""

    def setUp(self):
        super().setUp()
        self.vmact = vmact_service.get_vmact()

    def tenant_id(self, tenant=cloud.TENANT_A):
        """The Keystone project id of ``tenant``."""
        return self.cloud.project_ids[tenant]

    def act(self, body, user=cloud.ALICE, agent=None, path='',
            headers=None, token=None, raw_body=None):
        """POST /mana_api/vm_act[path] with ``body`` as ``user``.

        :param token: a token to send instead of ``user``'s.
        :param agent: the Sp-Agent header (absent: the default agent).
        :param raw_body: bytes to send as they are instead of JSON.
        """
        request_headers = {'X-Auth-Token': token or self.cloud.token(user)}
        if agent is not None:
            request_headers['Sp-Agent'] = agent
        if raw_body is None:
            request_headers['Content-Type'] = 'application/json'
            raw_body = json.dumps(body)
        request_headers.update(headers or {})
        return requests.post(self.vmact.url + '/mana_api/vm_act' + path,
                             data=raw_body, headers=request_headers,
                             timeout=cloud.HTTP_TIMEOUT)

    def body(self, action, servers, tenant=cloud.TENANT_A,
             region=cloud.REGION_ONE, **extra):
        """A vm_act body: tenant, region, servers and one action."""
        action_value = extra.pop('action_value', None)
        body = {'tenant_id': self.tenant_id(tenant), 'region': region,
                'servers': list(servers), action: action_value}
        body.update(extra)
        return body

    def show_states(self, servers, user=cloud.ALICE, tenant=cloud.TENANT_A,
                    region=cloud.REGION_ONE, agent=None):
        """GET /mana_api/vm_act/{tenant}/{region}?servers=..."""
        headers = {'X-Auth-Token': self.cloud.token(user)}
        if agent is not None:
            headers['Sp-Agent'] = agent
        return requests.get(
            '%s/mana_api/vm_act/%s/%s' % (self.vmact.url,
                                          self.tenant_id(tenant), region),
            params={'servers': ','.join(servers)}, headers=headers,
            timeout=cloud.HTTP_TIMEOUT)

    def assertAccepted(self, response):
        """vmact's success: a bare 200 with an empty body."""
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual(b'', response.content)

    def assertError(self, status, response, msg_part=None):
        """An error in the contract's format; returns the parsed body."""
        self.assertEqual(status, response.status_code, response.text)
        self.assertEqual('application/json',
                         response.headers['Content-Type'].split(';')[0])
        body = response.json()
        self.assertEqual(status, body['code'])
        self.assertEqual(http.client.responses[status], body['reason'])
        self.assertIsInstance(body['msg'], str)
        self.assertNotIn('Traceback', response.text)
        if msg_part is not None:
            self.assertIn(msg_part, body['msg'])
        return body

    def instance_actions(self, server_id, region=cloud.REGION_ONE):
        """Nova's os-instance-actions of the server, oldest first."""
        actions = self.cloud.nova(cloud.ADMIN, region).instance_action.list(
            server_id)
        return sorted((action.to_dict() for action in actions),
                      key=lambda action: action['start_time'])

    def action_request_ids(self, server_id, region=cloud.REGION_ONE):
        """The request ids of the server's instance actions, in order.

        Compared before and after a request to prove that Nova received
        no action (an older action's ``updated_at`` may still move).
        """
        return [action['request_id']
                for action in self.instance_actions(server_id, region)]


@testtools.skipUnless(engines.installed(),
                      'no vmact-engine console script in this environment')
class JobsTestCase(VmactTestCase):
    """Jobs through the vmact-api on PostgreSQL and RabbitMQ.

    Each test starts its own ``vmact-engine`` processes
    (:meth:`start_engines`) with the ``[jobs]`` settings it needs, and
    prints its duration as a figure.
    """

    def setUp(self):
        super().setUp()
        self.vmact = vmact_service.get_jobs_vmact()
        self.postgres = postgres.get_postgres()
        self.rabbitmq = rabbitmq.get_rabbitmq()
        self.addCleanup(self.rabbitmq.ensure_running)
        self.addCleanup(self.postgres.ensure_running)
        self.addDetail('vmact-api-log', content.Content(
            content.UTF8_TEXT, lambda: [processes.file_tail(
                self.vmact.log_file, 20000).encode('utf-8')]))
        started = time.monotonic()
        self.addCleanup(lambda: figures.record(
            'functional_jobs_test', test=self.id().rsplit('.', 1)[-1],
            seconds=round(time.monotonic() - started, 1)))

    def start_engines(self, count=2, **jobs_options):
        """``count`` engines on the API's config plus ``[jobs]`` options."""
        conf_file = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'vmact-engines.conf')
        vmact_config.write(conf_file, vmact_config.merge(
            vmact_service.config_sections(self.vmact.port,
                                          self.vmact.log_file,
                                          self.cloud.auth_url),
            self.vmact.overrides + [('jobs', option, value) for
                                    option, value in jobs_options.items()]))
        return self.useFixture(engines.EnginesFixture(count,
                                                      conf_file)).engines

    def post_job(self, body, **kwargs):
        """POST ``body`` with ``"async": true``; asserts the 202."""
        response = self.act(dict(body, **{'async': True}), **kwargs)
        self.assertEqual(202, response.status_code, response.text)
        return response.json()['job_id']

    def get_job(self, job_id, user=cloud.ALICE):
        response = requests.get(
            '%s/mana_api/jobs/%s' % (self.vmact.url, job_id),
            headers={'X-Auth-Token': self.cloud.token(user)},
            params={'limit': 1000}, timeout=cloud.HTTP_TIMEOUT)
        self.assertEqual(200, response.status_code, response.text)
        return response.json()

    def delete_job(self, job_id, user=cloud.ALICE):
        """DELETE /mana_api/jobs/{job_id} (the cancel): the response."""
        return requests.delete(
            '%s/mana_api/jobs/%s' % (self.vmact.url, job_id),
            headers={'X-Auth-Token': self.cloud.token(user)},
            timeout=cloud.HTTP_TIMEOUT)

    def wait_job(self, job_id, timeout=60, until=None):
        """Poll the job until ``until(job)`` (default: it ended); bounded."""
        until = until or (lambda job: job['status'] in FINAL_JOB_STATUSES)
        deadline = time.monotonic() + timeout
        while True:
            job = self.get_job(job_id)
            if until(job):
                return job
            if time.monotonic() > deadline:
                self.fail('job %s not there after %ss: %s' % (
                    job_id, timeout, json.dumps(job)[:3000]))
            time.sleep(0.2)

    def server_states(self, job):
        """``{server id: state}`` of a job's representation."""
        return {server['id']: server['state'] for server in job['servers']}

    def sql(self, query, params=()):
        """Rows of ``query`` in vmact's database, as the superuser."""
        connection = self.postgres.admin_connection(postgres.DATABASE)
        try:
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def action_count(self, server_ids, name, region=cloud.REGION_TWO):
        """``{server id: Nova instance actions named name}``."""
        return {server: sum(action['action'] == name for action in
                            self.instance_actions(server, region))
                for server in server_ids}
