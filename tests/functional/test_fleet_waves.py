"""Waves, the failure budget and SOFT_FIRST against the real Nova.

The servers are the pool's (:mod:`server_pool`: tenant-a, RegionTwo),
ACTIVE again after each test; what each case asserts is what Nova shows
(its instance actions and their ``start_time``, as the admin).
"""

import datetime

from tests.functional.fixtures import server_pool
from tests.functional import test_jobs

REGION = test_jobs.REGION


def started(action):
    """A Nova instance action's start_time as a naive UTC datetime."""
    text = action['start_time'].rstrip('Z').split('+')[0]
    for layout in ('%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S'):
        try:
            return datetime.datetime.strptime(text, layout)
        except ValueError:
            continue
    raise ValueError(action['start_time'])


class FleetWavesTest(test_jobs.JobsTestBase):

    #: Servers these tests use (a later module asking for more creates
    #: only the difference).
    POOL = 24

    def pool(self, count=POOL, start=0):
        """Pool servers from ``start`` on, ACTIVE now and after the test."""
        servers = server_pool.servers(self.cloud, self.POOL)[
            start:start + count]
        self.cloud.ensure_status(REGION, servers, 'ACTIVE')
        self.addCleanup(self.cloud.ensure_status, REGION, servers, 'ACTIVE')
        return servers

    def new_actions(self, servers, name, before):
        """{server: its ``name`` actions Nova shows beyond ``before``}."""
        found = {}
        for server in servers:
            actions = [a for a in self.instance_actions(server, REGION)
                       if a['action'] == name]
            found[server] = actions[before[server]:]
        return found

    def test_waves_of_5_over_20_servers_pause_between_them(self):
        servers = self.pool(20)
        self.start_engines(1)
        before = self.action_count(servers, 'stop')
        waves = {'size': 5, 'pause': 4, 'max_failures': 0}
        job = self.wait_job(self.post_job(self.stop_body(
            servers, waves=waves)), timeout=180)
        self.assertEqual('SUCCESS', job['status'], job)
        self.assertEqual(waves, job['waves'])
        self.assertEqual([idx // 5 for idx in range(20)],
                         [s['wave'] for s in job['servers']])
        actions = self.new_actions(servers, 'stop', before)
        self.assertEqual([1] * 20, [len(actions[s]) for s in servers])
        times = [started(actions[s][0]) for s in servers]
        for wave in range(1, 4):
            previous_last = max(times[(wave - 1) * 5:wave * 5])
            first = min(times[wave * 5:(wave + 1) * 5])
            gap = (first - previous_last).total_seconds()
            # Nova's start_time has a second's resolution at worst.
            self.assertGreaterEqual(gap, 3, (wave, gap))

    def test_failure_budget_stops_the_job(self):
        servers = self.pool(20)
        self.start_engines(1)
        before = self.action_count(servers, 'start')
        job = self.wait_job(self.post_job(self.body(
            'os-start', servers, region=REGION,
            waves={'size': 5, 'max_failures': 2})), timeout=120)
        self.assertEqual('FAIL', job['status'], job)
        states = [(s['state'], s['code']) for s in job['servers']]
        self.assertEqual([('failed', 409)] * 5 + [('cancelled', None)] * 15,
                         states)
        self.assertEqual({'cancelled: failure budget of 2 exceeded'},
                         {s['msg'] for s in job['servers'][5:]})
        self.assertNewActions(dict.fromkeys(servers, 0), before, 'start')

    def test_soft_first_escalates_a_server_nova_refuses_soft_for(self):
        active, shutoff = self.pool(2, start=20)
        self.cloud.ensure_status(REGION, [shutoff], 'SHUTOFF')
        before = self.action_count([active, shutoff], 'reboot')
        response = self.act(self.body(
            'reboot', [active, shutoff], region=REGION,
            action_value={'type': 'SOFT_FIRST', 'grace': 2}, wait=60))
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual({'escalated': [shutoff]}, response.json())
        self.assertNewActions({active: 1, shutoff: 1}, before, 'reboot')
        self.assertEqual('ACTIVE',
                         self.cloud.show_server(REGION, shutoff)['status'])

    def test_soft_first_job_records_the_escalation(self):
        active, shutoff = self.pool(2, start=22)
        self.cloud.ensure_status(REGION, [shutoff], 'SHUTOFF')
        self.start_engines(1)
        before = self.action_count([active, shutoff], 'reboot')
        job = self.wait_job(self.post_job(self.body(
            'reboot', [active, shutoff], region=REGION,
            action_value={'type': 'SOFT_FIRST', 'grace': 2}, wait=60)),
            timeout=120)
        self.assertEqual('SUCCESS', job['status'], job)
        self.assertEqual({'reboot': {'type': 'SOFT_FIRST', 'grace': 2}},
                         job['action'])
        self.assertEqual({active: False, shutoff: True},
                         {s['id']: s['escalated'] for s in job['servers']})
        self.assertNewActions({active: 1, shutoff: 1}, before, 'reboot')
