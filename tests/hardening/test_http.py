"""The HTTP layer of the real ``vmact-api`` under hostile clients.

Slow clients (heads and bodies sent a byte at a time), huge heads, broken
bodies, query strings on actions and a raw ``#`` in the path, against
the console script over the fake Keystone and fake Nova, on loopback.
Each test prints its figures (tests/hardening/figures.py). Options the
shared config file does not set are given in the environment
(``OS_API__<OPTION>``), which oslo.config reads before the config files.
"""

import json
import statistics
import threading
import time

import fixtures
from oslotest import base as oslotest_base
import psutil
import requests

from tests.hardening import base
from tests.hardening import figures
from tests.hardening import rawhttp

MIB = 1024 * 1024
HEALTH_LIMIT = 1.0


class SlowClientTest(oslotest_base.BaseTestCase):
    """50 connections trickling their requests, one byte a second."""

    def start(self, **options):
        for name, value in options.items():
            self.useFixture(fixtures.EnvironmentVariable(
                'OS_API__%s' % name.upper(), str(value)))
        self.cloud = self.useFixture(base.FakeCloud())
        return self.useFixture(base.VmactProcess(self.cloud))

    def test_slow_clients_do_not_delay_other_clients(self):
        vmact = self.start()
        token = self.cloud.token()
        heads = rawhttp.Tricklers(vmact.port,
                                  [rawhttp.slow_head(n) for n in range(25)])
        self.addCleanup(heads.stop)
        bodies = rawhttp.Tricklers(vmact.port, [rawhttp.slow_body(token)] * 25)
        self.addCleanup(bodies.stop)
        time.sleep(2)
        health = []
        plain = []
        for _ in range(6):
            health.append(rawhttp.health_latency(vmact.url))
            started = time.monotonic()
            try:
                response = requests.get(
                    vmact.url + '/mana_api/vm_act/demo/RegionOne',
                    params={'servers': 'vm-1'}, timeout=5,
                    headers={'X-Auth-Token': token})
                status = response.status_code
            except requests.RequestException:
                status = None
            plain.append((time.monotonic() - started, status))
            time.sleep(0.5)
        still_open = heads.still_open() + bodies.still_open()
        figures.record(
            'slow_clients', server='vmact-api', slow_sockets=50,
            still_open=still_open, load=psutil.getloadavg()[0],
            health_max_s=round(max(health), 3),
            health_median_s=round(statistics.median(health), 3),
            status_read_max_s=round(max(t for t, _ in plain), 3))
        self.assertLess(max(health), HEALTH_LIMIT, health)
        self.assertEqual(50, still_open, 'the pressure did not last')
        self.assertEqual([200] * len(plain), [s for _, s in plain], plain)
        self.assertLess(max(t for t, _ in plain), HEALTH_LIMIT, plain)

    def test_trickling_requests_are_cut_off_after_client_timeout(self):
        timeout = 3
        vmact = self.start(client_timeout=timeout)
        heads = rawhttp.Tricklers(vmact.port, [rawhttp.slow_head(0)],
                                  interval=0.5)
        self.addCleanup(heads.stop)
        bodies = rawhttp.Tricklers(
            vmact.port, [rawhttp.slow_body(self.cloud.token())], interval=0.5)
        self.addCleanup(bodies.stop)
        base.wait_for(lambda: not (heads.still_open()
                                   or bodies.still_open()),
                      timeout=timeout + 12, interval=0.2)
        closed = heads.closed_after() + bodies.closed_after()
        figures.record('slow_client_cut_off', client_timeout=timeout,
                       closed_after_s=[c and round(c, 2) for c in closed],
                       load=psutil.getloadavg()[0])
        for seconds in closed:
            self.assertIsNotNone(seconds, 'still open after %ds of '
                                 'trickling' % (timeout + 12))
            # client_timeout, the 1 s cleanup and poll intervals, margin
            self.assertLess(seconds, timeout + 5)
            self.assertGreater(seconds, timeout - 0.5)


class HugeHeadTest(oslotest_base.BaseTestCase):
    """Four concurrent 32 MiB heads: a 431 each, the memory kept."""

    size = 32 * MIB
    clients = 4

    def test_huge_heads_get_431_and_grow_no_memory(self):
        cloud = self.useFixture(base.FakeCloud())
        vmact = self.useFixture(base.VmactProcess(cloud))
        process = psutil.Process(vmact.popen.pid)
        before = process.memory_info().rss
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.wait(0.05):
                peak[0] = max(peak[0], process.memory_info().rss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        results = []
        senders = [threading.Thread(target=rawhttp.send_huge_head,
                                    args=(vmact.port, self.size, results))
                   for _ in range(self.clients)]
        for sender in senders:
            sender.start()
        health = rawhttp.health_latency(vmact.url)
        for sender in senders:
            sender.join(120)
        health = max(health, rawhttp.health_latency(vmact.url))
        done.set()
        sampler.join(5)
        growth = (peak[0] - before) / MIB
        figures.record('huge_heads', server='vmact-api',
                       heads=self.clients, head_mib=self.size // MIB,
                       rss_before_mib=round(before / MIB, 1),
                       rss_growth_mib=round(growth, 1),
                       statuses=[r and r[0] for _, r in results],
                       bytes_sent_mib=[round(s / MIB, 2) for s, _ in results],
                       health_s=round(health, 3))
        self.assertEqual(self.clients, len(results))
        for _, response in results:
            self.assertIsNotNone(response, 'closed without an answer')
            status, headers, body = response
            self.assertEqual(431, status, body[:300])
            base.assert_error_format(self, 431, body,
                                     headers['content-type'])
            self.assertTrue(headers['x-openstack-request-id']
                            .startswith('req-'))
        self.assertLess(growth, 32)
        self.assertLess(health, HEALTH_LIMIT)


class BrokenInputTest(oslotest_base.BaseTestCase):
    """Broken bodies, query strings and '#': 400 or no answer, never 5xx."""

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(base.FakeCloud())
        self.vmact = self.useFixture(base.VmactProcess(self.cloud))
        self.token = self.cloud.token()

    def head(self, method, target, **headers):
        lines = ['%s %s HTTP/1.1' % (method, target), 'Host: t',
                 'X-Auth-Token: %s' % self.token]
        lines += ['%s: %s' % (k.replace('_', '-'), v)
                  for k, v in headers.items()]
        return ('\r\n'.join(lines) + '\r\n\r\n').encode()

    def assertRefused(self, response, *fragments):
        """400 in the error format with a request id; Nova untouched."""
        self.assertIsNotNone(response, 'closed without an answer')
        status, headers, body = response
        self.assertEqual(400, status, body[:300])
        error = base.assert_error_format(self, 400, body,
                                         headers['content-type'])
        self.assertTrue(headers['x-openstack-request-id'].startswith('req-'))
        for fragment in fragments:
            self.assertIn(fragment, error['msg'])
        self.assertNoNovaCall()

    def assertNoNovaCall(self):
        time.sleep(0.3)
        self.assertEqual([], [(c.method, c.path)
                              for c in self.cloud.nova.calls()
                              if c.method == 'POST'])

    def assertQuietLog(self, max_warnings=1):
        log = self.vmact.log()
        self.assertNotIn('Traceback', log)
        self.assertEqual([], [line for line in log.splitlines()
                              if ' ERROR ' in line])
        warnings = [line for line in log.splitlines()
                    if ' WARNING ' in line and 'noauth' not in line]
        self.assertLessEqual(len(warnings), max_warnings, warnings)

    def test_body_shorter_than_content_length_is_never_a_500(self):
        body = b'{"tenant_id": "demo", "region": "RegionOne", '
        response = rawhttp.exchange(
            self.vmact.port,
            self.head('POST', '/mana_api/vm_act', Content_Length=200)
            + body, half_close=True)
        figures.record('short_body', server='vmact-api',
                       answer=response and response[0])
        # waitress never hands an incomplete request to the app: the
        # connection just closes.
        if response is not None:
            self.assertRefused(response)
        self.assertNoNovaCall()
        self.assertQuietLog()

    def test_chunked_body_with_content_length_is_400_and_nothing_smuggled(
            self):
        smuggled = (b'POST /mana_api/vm_act/demo/RegionOne/vm-2 HTTP/1.1\r\n'
                    b'Host: t\r\nX-Auth-Token: %s\r\nContent-Length: 17\r\n'
                    b'\r\n{"os-stop": null}' % self.token.encode())
        data = (self.head('POST', '/mana_api/vm_act/demo/RegionOne/vm-1',
                          Content_Length=4, Transfer_Encoding='chunked')
                + b'0\r\n\r\n' + smuggled)
        response = rawhttp.exchange(self.vmact.port, data)
        self.assertRefused(response, 'Transfer-Encoding and Content-Length')
        self.assertEqual('close', response[1].get('connection'))
        self.assertQuietLog()

    def test_post_with_unknown_query_parameter_is_400_naming_it(self):
        response = requests.post(
            self.vmact.url + '/mana_api/vm_act/demo/RegionOne/vm-1?b=1',
            data=json.dumps({'os-stop': None}), timeout=10,
            headers={'X-Auth-Token': self.token})
        self.assertRefused((response.status_code, response.headers,
                            response.content), '"b"')

    def test_raw_hash_in_the_path_is_400_in_error_format(self):
        body = b'{"os-stop": null}'
        response = rawhttp.exchange(
            self.vmact.port,
            self.head('POST', '/mana_api/vm_act/demo/RegionOne/vm-1#2',
                      Content_Length=len(body), Connection='close') + body)
        self.assertRefused(response, 'raw "#"')
        response = rawhttp.exchange(
            self.vmact.port,
            self.head('GET', '/mana_api/vm_act/demo/RegionOne'
                      '?servers=vm-1#,vm-2', Connection='close'))
        self.assertRefused(response, 'raw "#"')
