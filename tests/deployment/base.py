"""The contract over real HTTP, whatever serves it.

A test class names a server fixture (Apache through mod_wsgi-express, the
sample vhost, the ``vmact-api`` console script); the server starts once
for the class, and :class:`ContractOverHTTP` drives the contract through
it: an action on a simulated VM and its effect, the seed's error format,
the health check, the request id in the header and in the logs.
"""

import re
import time

import testtools
from testtools import content

from tests.deployment import servers
from tests.support import client

TOKEN = {'X-Auth-Token': 'demo'}
REQUEST_ID = re.compile(r'req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
                        r'[0-9a-f]{4}-[0-9a-f]{12}')
UNAUTHORIZED = {'msg': 'The request you have made requires authentication.',
                'code': 401, 'reason': 'Unauthorized'}


class ServerTestCase(testtools.TestCase):
    """One server for the whole class, its log attached to every test."""

    #: A callable returning the server fixture, given a config builder.
    server_fixture = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        started = time.monotonic()
        cls.server = cls.server_fixture(servers.dev_config)
        try:
            cls.server.setUp()
        except Exception:
            cls.server.cleanUp()
            raise
        cls.start_seconds = time.monotonic() - started

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanUp()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.addDetail('server-log', content.text_content(
            self.server_log()[-20000:]))
        self.addDetail('start-seconds', content.text_content(
            '%.1f' % self.start_seconds))

    def server_log(self):
        """Everything vmact logged so far (the server's error log)."""
        return self.server.process.output()

    def request(self, method, path, body=None, headers=None):
        return client.request(self.server.port, method, path, body,
                              headers)

    def wait_for_log(self, text, read=None, timeout=10):
        """The log once it contains ``text``; fail after ``timeout``."""
        read = read or self.server_log
        deadline = time.monotonic() + timeout
        while True:
            log = read()
            if text in log or time.monotonic() > deadline:
                return log
            time.sleep(0.1)


class ContractOverHTTP(object):
    """The contract's essentials, over HTTP, for any ServerTestCase."""

    #: False when several processes serve: the simulator's servers live
    #: in each process's memory, so a read may not see another's action.
    one_process = True

    def test_action_on_simulator_is_a_bare_200_and_takes_effect(self):
        if not self.one_process:
            acted = self.request(
                'POST', '/mana_api/vm_act/demo/RegionOne/a342fsd',
                body='{"servers": "a342fsd", "reboot": {"type": "HARD"}}',
                headers=dict(TOKEN, **{'Sp-Agent': 'scloudm'}))
            self.assertEqual(200, acted.status, acted)
            self.assertEqual(b'', acted.body)
            return
        before = self.request(
            'GET', '/mana_api/vm_act/demo/RegionOne?servers=a342fsd',
            headers=TOKEN)
        self.assertEqual(200, before.status, before)
        self.assertEqual('ACTIVE', before.json['servers'][0]['status'])
        # The seed's own request, with its missing comma put back.
        acted = self.request(
            'POST', '/mana_api/vm_act/demo/RegionOne/a342fsd',
            body='{"servers": "a342fsd", "os-stop": null}',
            headers=dict(TOKEN, **{'Sp-Agent': 'scloudm'}))
        self.assertEqual(200, acted.status, acted)
        self.assertEqual(b'', acted.body)
        after = self.request(
            'GET', '/mana_api/vm_act/demo/RegionOne?servers=a342fsd',
            headers=TOKEN)
        self.assertEqual(
            {'servers': [{'id': 'a342fsd', 'status': 'SHUTOFF',
                          'task_state': None, 'power_state': 'shutdown'}]},
            after.json)
        started = self.request(
            'POST', '/mana_api/vm_act',
            body={'tenant_id': 'demo', 'region': 'RegionOne',
                  'servers': ['a342fsd'], 'os-start': None},
            headers=TOKEN)
        self.assertEqual(200, started.status, started)

    def test_no_token_is_the_seed_error_body(self):
        response = self.request(
            'POST', '/mana_api/vm_act/demo/RegionOne',
            body={'servers': 'k432k234', 'os-start': None})
        self.assertEqual(401, response.status)
        self.assertEqual('application/json',
                         response.headers['content-type'].split(';')[0])
        self.assertEqual(UNAUTHORIZED, response.json)

    def test_the_seeds_malformed_json_is_a_400_that_says_where(self):
        seed_body = ('{\n  "servers": "k432k234,a342fsd,234sdfg"\n'
                     '  "os-start": null\n}')
        response = self.request(
            'POST', '/mana_api/vm_act/demo/RegionOne/k432k234',
            body=seed_body, headers=dict(TOKEN, **{'Sp-Agent': 'scloudm'}))
        self.assertEqual(400, response.status, response)
        body = response.json
        self.assertEqual((400, 'Bad Request'), (body['code'],
                                                body['reason']))
        self.assertIn('line 3 column 3', body['msg'])

    def test_batch_failure_names_failures_and_successes(self):
        response = self.request(
            'POST', '/mana_api/vm_act/demo/RegionOne',
            body={'servers': 'k432k234,nosuch', 'reboot': {'type': 'HARD'}},
            headers=TOKEN)
        self.assertEqual(207, response.status, response)
        body = response.json
        self.assertEqual('Multi-Status', body['reason'])
        self.assertEqual(['k432k234'], body['succeeded'])
        self.assertEqual(['nosuch'], [f['server'] for f in body['failures']])
        self.assertEqual(404, body['failures'][0]['code'])

    def test_healthcheck_needs_no_token(self):
        response = self.request('GET', '/healthcheck')
        self.assertEqual(200, response.status)
        self.assertEqual(b'OK', response.body)

    def test_request_id_header_is_in_the_audit_line(self):
        response = self.request(
            'POST', '/mana_api/vm_act/demo/RegionOne',
            body={'servers': 'k432k234', 'reboot': None}, headers=TOKEN)
        self.assertEqual(200, response.status, response)
        request_id = response.request_id
        self.assertIsNotNone(request_id)
        self.assertTrue(REQUEST_ID.fullmatch(request_id), request_id)
        other = self.request('GET', '/healthcheck')
        self.assertTrue(REQUEST_ID.fullmatch(other.request_id))
        self.assertNotEqual(request_id, other.request_id)
        error = self.request('POST', '/nowhere', body='{}', headers=TOKEN)
        self.assertEqual(404, error.status)
        self.assertTrue(REQUEST_ID.fullmatch(error.request_id))
        log = self.wait_for_log('request_id=%s' % request_id)
        audit = [line for line in log.splitlines()
                 if 'audit: request_id=%s' % request_id in line]
        self.assertEqual(1, len(audit), log[-3000:])
        self.assertIn('server=k432k234 action=reboot(SOFT) outcome=202',
                      audit[0])
        # oslo.log's context prefix carries the same id.
        self.assertIn('[None %s demo demo' % request_id, audit[0])
