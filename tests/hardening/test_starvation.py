"""Requests with ``wait`` cannot starve ``vmact-api`` (issue 10, item 3).

The real console script (16 threads, keystone strategy) serves the
simulator agent ``sim`` with slow transitions (5 s). 64 clients each send
a HARD reboot of their own server with ``"wait": 8`` at once; meanwhile
the health check and another tenant's one-server request (no wait) are
sent again and again and each must answer within 1 s. At most half the
threads may wait ([api] max_waiting_share = 0.5): the others get 429 with
Retry-After, in the error format, before anything is done.
"""

import json

from oslotest import base as oslotest_base

from tests.hardening import base
from tests.hardening import figures
from tests.support import client
from tests.support import pressure

WAITERS = 64
WAIT = 8
TRANSITION_DELAY = 5
TARGET_SECONDS = 1.0
#: Waiting slots: half of vmact-api's 16 threads.
LIMIT = 8
CLIENT_TIMEOUT = 60
SLOW_SIM = {base.SIM_AGENT: {
    'tenants': (base.TENANT, base.OTHER_TENANT),
    'servers_per_tenant': WAITERS, 'transition_delay': TRANSITION_DELAY}}


def post(port, body, token):
    """POST one vm_act request to the sim agent."""
    return client.request(port, 'POST', '/mana_api/vm_act', json.dumps(body),
                          {'X-Auth-Token': token,
                           'Sp-Agent': base.SIM_AGENT}, CLIENT_TIMEOUT)


class WaitingStarvationTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(base.FakeCloud())
        self.vmact = self.useFixture(base.VmactProcess(
            self.cloud, debug=False, sections=SLOW_SIM))

    def test_64_waiting_requests_leave_the_service_responsive(self):
        port = self.vmact.port
        token = self.cloud.token()
        other_token = self.cloud.token(project=base.OTHER_TENANT,
                                       user='alt-user')

        def waiter(n):
            return post(port, {
                'tenant_id': base.TENANT, 'region': 'RegionOne',
                'servers': ['%s-RegionOne-%d' % (base.TENANT, n + 1)],
                'reboot': {'type': 'HARD'}, 'wait': WAIT}, token)

        def other_tenant():
            return post(port, {
                'tenant_id': base.OTHER_TENANT, 'region': 'RegionOne',
                'servers': ['%s-RegionOne-1' % base.OTHER_TENANT],
                'reboot': {'type': 'HARD'}}, other_token)

        results, probes, seconds = pressure.waiting_burst(
            waiter, WAITERS, {
                'healthcheck': lambda: client.request(
                    port, 'GET', '/healthcheck', timeout=CLIENT_TIMEOUT),
                'other_tenant': other_tenant},
            limit=WAIT + CLIENT_TIMEOUT, join_timeout=CLIENT_TIMEOUT)
        figures.record('starvation_vmact_api', waiting_requests=WAITERS,
                       wait=WAIT, **pressure.burst_figures(
                           results, probes, seconds))
        pressure.assert_responsive(self, results, probes, TARGET_SECONDS)
        statuses = pressure.statuses(results)
        # Every waiter holds its slot for 5 s: none frees during the burst.
        self.assertLessEqual(statuses.count(200), LIMIT, statuses)
        for response in filter(None, results):
            if response.status == 429:
                error = base.assert_error_format(
                    self, 429, response.body,
                    response.headers['content-type'])
                self.assertIn('Too many requests are waiting', error['msg'])
                self.assertIn(int(response.headers['retry-after']),
                              range(1, WAIT + 1))
