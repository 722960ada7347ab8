"""The vmact-api console script, over real HTTP on loopback.

What vmact/cmd/api.py does: serve the README's requests, stop on SIGTERM,
exit with a message on a configuration error. The HTTP server's own rules
(vmact/server.py) are in tests/unit/test_server.py.
"""

import json
import signal

from tests.unit import base


class ConsoleScriptTest(base.ConsoleScriptTestCase):

    def test_readme_requests_work_over_http(self):
        proc = self.start()
        self.wait_until_serving(proc)
        status, headers, body = self.call(
            '/mana_api/vm_act/demo/RegionOne/k432k234',
            '{"servers": "k432k234,a342fsd", "os-stop": null}',
            headers={'X-Auth-Token': 'demo', 'Sp-Agent': 'scloudm',
                     'Content-Type': 'application/x-www-form-urlencoded'})
        self.assertEqual((200, b''), (status, body))
        self.assertTrue(headers['x-openstack-request-id'].startswith('req-'))
        status, _, body = self.call(
            '/mana_api/vm_act/demo/RegionOne?servers=k432k234,234sdfg',
            method='GET', headers={'X-Auth-Token': 'demo'})
        self.assertEqual(200, status)
        self.assertEqual(['k432k234', '234sdfg'],
                         [s['id'] for s in json.loads(body)['servers']])
        status, _, body = self.call('/mana_api/vm_act', '{}')
        self.assertEqual(401, status)
        self.assertEqual('Unauthorized', json.loads(body)['reason'])
        status, _, body = self.call('/healthcheck', method='GET')
        self.assertEqual((200, b'OK'), (status, body))

    def test_sigterm_stops_cleanly(self):
        proc = self.start()
        self.wait_until_serving(proc)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(0, proc.wait(timeout=20))

    def test_configuration_error_exits_with_a_message(self):
        proc = self.start('enabled_agents = scloudm,ghost\n')
        output = proc.stdout.read().decode()
        self.assertEqual(2, proc.wait(timeout=20))
        self.assertIn('[ghost] backend is required', output)
