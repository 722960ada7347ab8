"""The vmact-api console script, over real HTTP on loopback."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import fixtures

from tests.unit import base

DEV_CONF = os.path.join(base.ROOT, 'etc', 'vmact', 'vmact-dev.conf')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class ConsoleScriptTest(base.TestCase):

    def start(self, *extra_conf):
        tmp = self.useFixture(fixtures.TempDir()).path
        self.port = free_port()
        override = os.path.join(tmp, 'override.conf')
        with open(override, 'w') as f:
            f.write('[api]\nport = %d\n%s' % (self.port, ''.join(extra_conf)))
        proc = subprocess.Popen(
            [sys.executable, '-m', 'vmact.cmd.api', '--config-file',
             DEV_CONF, '--config-file', override],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(_reap, proc)
        return proc

    def wait_until_serving(self, proc):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail('vmact-api exited: %s' % proc.stdout.read())
            try:
                socket.create_connection(('127.0.0.1', self.port), 0.2) \
                    .close()
                return
            except OSError:
                time.sleep(0.05)
        self.fail('vmact-api did not listen within 20s')

    def call(self, path, body=None, method='POST', headers=None):
        req = urllib.request.Request(
            'http://127.0.0.1:%d%s' % (self.port, path), method=method,
            data=None if body is None else body.encode(),
            headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

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


def _reap(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    proc.stdout.close()
