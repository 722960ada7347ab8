"""vmact/server.py: waitress's settings and its error answers.

The answers waitress gives itself (431, 400, 413) come in the error
format, checked over real HTTP on loopback against the vmact-api console
script.
"""

import http.client
import json

from tests.unit import base


class ServerTest(base.ConsoleScriptTestCase):

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
