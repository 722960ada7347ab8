"""Base classes of the functional tests: the shared cloud, and vmact."""

import http.client
import json

import fixtures
import requests
import testtools

from tests.functional.fixtures import cloud
from tests.functional.fixtures import vmact_service


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
