"""Requests with ``wait`` cannot starve vmact under Apache (issue 10, item 3).

Debian's apache2 serves the sample vhost with its own defaults, 4 daemon
processes x 16 threads, over the dev config (noauth) whose simulator
takes 5 s to settle. 64 clients each send a HARD reboot of their own
server with ``"wait": 8`` at once; meanwhile the health check and another
tenant's one-server request are sent again and again and each must
answer within 1 s. Each process lets half of mod_wsgi's threads wait (8
of 16, whatever ``[api] server_threads`` says); the others get 429 with
Retry-After.
"""

import json

from tests.deployment import base
from tests.deployment import servers
from tests.hardening import figures
from tests.support import client
from tests.support import pressure

WAITERS = 64
WAIT = 8
TRANSITION_DELAY = 5
TARGET_SECONDS = 1.0
PROCESSES = 4
#: Waiting slots per process: half of mod_wsgi's 16 threads.
LIMIT = 8
CLIENT_TIMEOUT = 60
# server_threads is vmact-api's: under Apache mod_wsgi's count must win.
OVERRIDES = """
[api]
server_threads = 40

[scloudm]
tenants = demo,alt
servers_per_tenant = {servers}
transition_delay = {delay}
""".format(servers=WAITERS, delay=TRANSITION_DELAY)


class SampleVhostDefaults(servers.SampleVhost):
    """The sample vhost with its own processes and threads (4 x 16)."""

    HTTPD_CONF = servers.SampleVhost.HTTPD_CONF.replace(
        'Define VMACT_PROCESSES 2\n', '').replace(
        'Define VMACT_THREADS 4\n', '')


def slow_simulator_config(port):
    return servers.dev_config(port, OVERRIDES)


class WaitingStarvationUnderApacheTest(base.ServerTestCase):

    @staticmethod
    def server_fixture(config_text_for_port):
        return SampleVhostDefaults(slow_simulator_config)

    def server_log(self):
        return self.server.read_log('vmact-error.log')

    def post(self, body, token):
        return client.request(
            self.server.port, 'POST', '/mana_api/vm_act', json.dumps(body),
            {'X-Auth-Token': token, 'Sp-Agent': 'scloudm'},
            timeout=CLIENT_TIMEOUT)

    def test_each_process_lets_half_of_mod_wsgis_threads_wait(self):
        log = self.wait_for_log('requests with "wait" at once')
        lines = [line for line in log.splitlines()
                 if 'requests with "wait" at once' in line]
        self.assertTrue(lines, log[-3000:])
        for line in lines:
            self.assertIn('At most 8 requests with "wait" at once in this '
                          'process (16 threads', line)

    def test_64_waiting_requests_leave_the_service_responsive(self):
        def waiter(n):
            return self.post({
                'tenant_id': 'demo', 'region': 'RegionOne',
                'servers': ['demo-RegionOne-%d' % (n + 1)],
                'reboot': {'type': 'HARD'}, 'wait': WAIT}, 'demo')

        def other_tenant():
            return self.post({
                'tenant_id': 'alt', 'region': 'RegionOne',
                'servers': ['alt-RegionOne-1'],
                'reboot': {'type': 'HARD'}}, 'alt:alt')

        results, probes, seconds = pressure.waiting_burst(
            waiter, WAITERS, {
                'healthcheck': lambda: self.request('GET', '/healthcheck'),
                'other_tenant': other_tenant},
            limit=WAIT + CLIENT_TIMEOUT, join_timeout=CLIENT_TIMEOUT)
        figures.record('starvation_apache_sample_vhost',
                       waiting_requests=WAITERS, wait=WAIT,
                       processes=PROCESSES, threads=16,
                       **pressure.burst_figures(results, probes, seconds))
        pressure.assert_responsive(self, results, probes, TARGET_SECONDS)
        statuses = pressure.statuses(results)
        # Every waiter holds its slot for 5 s: none frees during the burst.
        self.assertLessEqual(statuses.count(200), PROCESSES * LIMIT, statuses)
        for response in filter(None, results):
            if response.status == 429:
                self.assertEqual('application/json',
                                 response.headers['content-type']
                                 .split(';')[0])
                body = response.json
                self.assertEqual((429, 'Too Many Requests'),
                                 (body['code'], body['reason']))
                self.assertIn('Too many requests are waiting', body['msg'])
                self.assertIn(int(response.headers['retry-after']),
                              range(1, WAIT + 1))
