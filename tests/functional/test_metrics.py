"""GET /metrics of a real vmact-api in front of the real Keystone and Nova.

A vmact-api of its own (fresh counters, a sqlite jobs database, the
multi-process directory of ``[metrics] multiproc_dir``) receives a known
sequence of requests; a scrape with an admin token then shows exactly
those counts, Keystone validations included; a member's token is a 403.
"""

import os

import fixtures
from prometheus_client import parser
import requests

from tests.functional import base
from tests.functional.fixtures import cloud
from tests.functional.fixtures import vmact_service

STOP = 'os-stop'
AGENT = vmact_service.TOKEN_AGENT


def samples(text):
    found = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = (
                sample.value)
    return found


def key(name, **labels):
    return (name, tuple(sorted(labels.items())))


class MetricsTest(base.VmactTestCase):

    #: The cloud's start, and a vmact-api of this test's own.
    TIMEOUT = 420

    def setUp(self):
        super().setUp()
        self.vmact = vmact_service.Vmact(self.cloud)
        prom_dir = os.path.join(self.vmact.work_dir, 'prometheus')
        os.makedirs(prom_dir)
        self.vmact.overrides += [
            ('database', 'connection', 'sqlite:///%s' % os.path.join(
                self.vmact.work_dir, 'jobs.sqlite')),
            ('metrics', 'multiproc_dir', prom_dir)]
        self.useFixture(fixtures.EnvironmentVariable(
            'PROMETHEUS_MULTIPROC_DIR'))
        self.addCleanup(self.vmact.stop)
        self.vmact.start()
        self.prom_dir = prom_dir

    def scrape(self, user):
        return requests.get(self.vmact.url + '/metrics', headers={
            'X-Auth-Token': self.cloud.token(user, fresh=True)},
            timeout=cloud.HTTP_TIMEOUT)

    def test_a_scrape_shows_exactly_the_requests_sent(self):
        server_id, = self.active_servers()
        self.assertAccepted(self.act(self.body(STOP, [server_id])))
        again = self.act(self.body(STOP, [server_id]))
        self.assertError(409, again)
        self.assertEqual(200, self.show_states([server_id]).status_code)
        self.assertError(401, self.act(self.body(STOP, [server_id]),
                                       token='not-a-token'))

        response = self.scrape(cloud.ADMIN)
        self.assertEqual(200, response.status_code, response.text)
        found = samples(response.text)
        counted = {tuple(value for _, value in labels): count
                   for (name, labels), count in found.items()
                   if name == 'vmact_requests_total'}
        # Labels in name order: action, agent, status.
        self.assertEqual({(STOP, AGENT, '200'): 1, (STOP, AGENT, '409'): 1,
                          ('show', AGENT, '200'): 1,
                          ('none', 'none', '401'): 1}, counted)
        self.assertEqual(1, found[key('vmact_server_outcomes_total',
                                      agent=AGENT, action=STOP, code='202')])
        self.assertEqual(1, found[key('vmact_server_outcomes_total',
                                      agent=AGENT, action=STOP, code='409')])
        self.assertEqual(2, found[key('vmact_backend_call_seconds_count',
                                      agent=AGENT, region=cloud.REGION_ONE,
                                      call='act')])
        self.assertEqual(1, found[key('vmact_backend_call_seconds_count',
                                      agent=AGENT, region=cloud.REGION_ONE,
                                      call='show')])
        # Alice's two actions, the admin's scrape; the read used the cache.
        self.assertEqual(3, found[key('vmact_keystone_validations_total',
                                      result='valid')])
        self.assertEqual(1, found[key('vmact_keystone_validations_total',
                                      result='invalid')])
        self.assertEqual(0, found[key('vmact_requests_in_flight')])
        self.assertEqual(1, found[key('vmact_jobs_up')])
        self.assertEqual(0, found[key('vmact_job_queue_depth')])
        self.assertTrue(any(name.startswith('counter_')
                            for name in os.listdir(self.prom_dir)))

        refused = self.scrape(cloud.ALICE)
        self.assertError(403, refused, 'vmact:metrics:read')
        self.assertNotIn('vmact_requests_total', refused.text)
