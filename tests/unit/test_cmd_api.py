"""The vmact-api console script, over real HTTP on loopback."""

import http.client
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

from tests.support import ports
from tests.unit import base

DEV_CONF = os.path.join(base.ROOT, 'etc', 'vmact', 'vmact-dev.conf')


class ConsoleScriptTest(base.TestCase):

    def start(self, *extra_conf):
        tmp = self.useFixture(fixtures.TempDir()).path
        self.port = ports.free_port()
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

    def raw_exchange(self, data):
        """Send ``data`` on one connection; return the response's parts."""
        with socket.create_connection(('127.0.0.1', self.port), 10) as sock:
            sock.sendall(data)
            response = http.client.HTTPResponse(sock)
            response.begin()
            return response.status, response.headers, response.read()

    def assertErrorFormat(self, code, headers, body):
        self.assertEqual('application/json', headers['Content-Type'])
        self.assertTrue(headers['x-openstack-request-id'].startswith('req-'))
        error = json.loads(body)
        self.assertEqual({'msg', 'code', 'reason'}, set(error))
        self.assertEqual((code, http.client.responses[code]),
                         (error['code'], error['reason']))
        return error

    def test_options_map_to_the_server_settings(self):
        from vmact import server
        self.flags(group='api', server_threads=7, backlog=33,
                   max_connections=44, client_timeout=5,
                   max_request_header_size=2048)
        self.conf_fixture.load_raw_values(group='oslo_middleware',
                                          max_request_body_size='1000')
        adj = server.adjustments_for(self.conf)
        self.assertEqual(
            (7, 33, 44, 5, 2048, 1001),
            (adj.threads, adj.backlog, adj.connection_limit,
             adj.channel_timeout, adj.max_request_header_size,
             adj.max_request_body_size))
        # oslo.middleware's http_proxy_to_wsgi decides on X-Forwarded-*.
        self.assertFalse(adj.clear_untrusted_proxy_headers)

    def test_oversized_request_head_is_431_in_error_format(self):
        proc = self.start('max_request_header_size = 4096\n')
        self.wait_until_serving(proc)
        status, headers, body = self.raw_exchange(
            b'GET /healthcheck HTTP/1.1\r\nHost: t\r\nX-Big: %s\r\n\r\n'
            % (b'a' * 5000))
        self.assertEqual(431, status)
        error = self.assertErrorFormat(431, headers, body)
        self.assertIn('at most 4096 bytes', error['msg'])
        status, _, _ = self.raw_exchange(
            b'GET /healthcheck HTTP/1.1\r\nHost: t\r\nX-Big: %s\r\n\r\n'
            % (b'a' * 3000))
        self.assertEqual(200, status)

    def test_chunked_body_with_content_length_is_400_in_error_format(self):
        proc = self.start()
        self.wait_until_serving(proc)
        status, headers, body = self.raw_exchange(
            b'POST /mana_api/vm_act/demo/RegionOne/k432k234 HTTP/1.1\r\n'
            b'Host: t\r\nX-Auth-Token: demo\r\nContent-Length: 3\r\n'
            b'Transfer-Encoding: chunked\r\n\r\n'
            b'11\r\n{"os-stop": null}\r\n0\r\n\r\n')
        self.assertEqual(400, status, body)
        error = self.assertErrorFormat(400, headers, body)
        self.assertIn('Transfer-Encoding and Content-Length', error['msg'])
        self.assertEqual('close', headers['Connection'])

    def test_body_over_the_size_limit_is_413_before_the_app(self):
        proc = self.start('\n[oslo_middleware]\nmax_request_body_size = 64\n')
        self.wait_until_serving(proc)
        status, headers, body = self.raw_exchange(
            b'POST /mana_api/vm_act HTTP/1.1\r\nHost: t\r\n'
            b'Transfer-Encoding: chunked\r\n\r\n'
            b'80\r\n%s\r\n0\r\n\r\n' % (b' ' * 128))
        self.assertEqual(413, status, body)
        self.assertErrorFormat(413, headers, body)

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
